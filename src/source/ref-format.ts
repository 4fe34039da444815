/**
 * What git's check-ref-format refuses in a ref name, said plainly; undefined for a name git could hold.
 * A revision comes from a command line or an API request, and its name is joined onto the git directory to read
 * a ref file: `refs/heads/../../HEAD` would otherwise read files that are not refs, or leave the repository.
 * One-level names (`main`, `HEAD`) and commit ids are fine, as in `git rev-parse`.
 */
export function refNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name === '@') return 'it is "@" alone';
  // Control characters, space, DEL; then git's revision syntax (~ ^ : @{) and glob characters.
  const char = /[\x00-\x20\x7f~^:?*[\\]/.exec(name)?.[0];
  if (char !== undefined) return `it holds ${char === ' ' ? 'a space' : char < ' ' || char === '\x7f' ? 'a control character' : `"${char}"`}`;
  if (name.includes('..')) return 'it holds ".."';
  if (name.includes('@{')) return 'it holds "@{"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'it starts or ends with "/", or holds "//"';
  if (name.endsWith('.')) return 'it ends with "."';
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return `its component ${JSON.stringify(part)} starts with "."`;
    if (part.endsWith('.lock')) return `its component ${JSON.stringify(part)} ends with ".lock"`;
  }
  return undefined;
}
