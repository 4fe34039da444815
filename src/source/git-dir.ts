import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { NotFoundError } from '../errors/index.ts';

function kindOf(path: string): 'file' | 'dir' | undefined {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s) return undefined;
  return s.isDirectory() ? 'dir' : 'file';
}

/**
 * Finds the git directory of a local repository: `<path>/.git` for a working repository (or the
 * directory a `.git` file points to), `<path>` itself for a bare one. Synchronous so that a source
 * can be built in one expression at wiring time.
 */
export function findGitDir(path: string): string {
  const root = resolve(path);
  const dotGit = join(root, '.git');
  const kind = kindOf(dotGit);
  if (kind === 'dir') return dotGit;
  if (kind === 'file') {
    const m = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'));
    if (m) return isAbsolute(m[1]!) ? m[1]! : resolve(root, m[1]!);
  }
  if (kindOf(join(root, 'HEAD')) === 'file' && kindOf(join(root, 'objects')) === 'dir') return root;
  throw new NotFoundError(`no git repository at ${path}`);
}

/** The branch HEAD names (short form), or 'HEAD' when it is detached. */
export function headBranchSync(gitdir: string): string {
  const head = readFileSync(join(gitdir, 'HEAD'), 'utf8').trim();
  const m = /^ref:\s*refs\/heads\/(.+)$/.exec(head);
  return m ? m[1]! : 'HEAD';
}
