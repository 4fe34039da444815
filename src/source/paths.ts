/** Normalizes a configured subdirectory to `a/b` form: no leading/trailing slash, '' for the repo root. */
export function normalizeDir(dir: string | undefined): string {
  const parts = (dir ?? '').split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  return parts.join('/');
}

export function isYamlPath(path: string): boolean {
  return path.endsWith('.yaml') || path.endsWith('.yml');
}

export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}
