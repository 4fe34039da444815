import { promises as fs, readFileSync, statSync } from 'node:fs';
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
  return locateGitDir(path).gitdir;
}

/**
 * The git directory (objects and refs) and, for a linked worktree (`git worktree add`), the worktree's
 * own directory: there its `.git` file points to `.git/worktrees/<name>`, which holds the worktree's
 * HEAD and a `commondir` file naming the directory with the objects and refs.
 */
export function locateGitDir(path: string): { gitdir: string; worktreeDir?: string } {
  const root = resolve(path);
  const dotGit = join(root, '.git');
  const kind = kindOf(dotGit);
  let dir: string | undefined;
  if (kind === 'dir') dir = dotGit;
  else if (kind === 'file') {
    const m = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'));
    if (m) dir = isAbsolute(m[1]!) ? m[1]! : resolve(root, m[1]!);
  } else if (kindOf(join(root, 'HEAD')) === 'file' && kindOf(join(root, 'objects')) === 'dir') dir = root;
  if (dir === undefined) throw new NotFoundError(`no git repository at ${path}`);
  const common = join(dir, 'commondir');
  if (kindOf(common) !== 'file') return { gitdir: dir };
  const target = readFileSync(common, 'utf8').trim();
  return { gitdir: isAbsolute(target) ? target : resolve(dir, target), worktreeDir: dir };
}

/** The branch HEAD names (short form), or 'HEAD' when it is detached. */
export function headBranchSync(gitdir: string): string {
  const head = readFileSync(join(gitdir, 'HEAD'), 'utf8').trim();
  const m = /^ref:\s*refs\/heads\/(.+)$/.exec(head);
  return m ? m[1]! : 'HEAD';
}

/** What a linked worktree's HEAD names: its branch, or its commit when detached (the common HEAD is another's). */
export function worktreeHeadSync(worktreeDir: string): string {
  const branch = headBranchSync(worktreeDir);
  return branch !== 'HEAD' ? branch : readFileSync(join(worktreeDir, 'HEAD'), 'utf8').trim();
}

/** Whether dir is a Git repository (working tree with .git, or bare). */
export async function isGitRepository(dir: string): Promise<boolean> {
  const exists = (p: string) => fs.stat(p).then(() => true, () => false);
  return (await exists(join(dir, '.git'))) || ((await exists(join(dir, 'HEAD'))) && (await exists(join(dir, 'objects'))));
}
