/** Normalizes a configured subdirectory to `a/b` form: no leading/trailing slash, '' for the repo root. */
export function normalizeDir(dir: string | undefined): string {
  const parts = (dir ?? '').split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  return parts.join('/');
}

export function isYamlPath(path: string): boolean {
  return path.endsWith('.yaml') || path.endsWith('.yml');
}

/**
 * Whether a symbolic link below the config path is reported (SYMLINK_NOT_SUPPORTED) rather than passed
 * over: one named as YAML, or one without an extension, which is how a linked directory looks. Passing
 * those over would drop their documents from the desired state, and the sync would prune what they held.
 */
export function isReportedLink(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return isYamlPath(name) || !name.includes('.');
}

export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}
