import { promises as fs, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { KradleError, NotFoundError } from '../errors/index.ts';

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
  const target = kindOf(common) === 'file' ? readFileSync(common, 'utf8').trim() : undefined;
  const found = target === undefined ? { gitdir: dir } : { gitdir: isAbsolute(target) ? target : resolve(dir, target), worktreeDir: dir };
  // A .git file left behind by a moved or removed repository, or a .git directory git would not take: said here,
  // where the path is known, not as the ENOENT of the first file a reader opens.
  const why = notAGitDir(dir, found.gitdir);
  if (why !== undefined) {
    const what = kind === 'file' ? `its .git file points to ${dir}, which` : kind === 'dir' ? 'its .git directory' : 'it';
    const hint = kind === 'file' ? ' (moved or deleted? a linked worktree is fixed with git worktree repair, or dropped with git worktree prune)' : '';
    throw new NotFoundError(`no git repository at ${path}: ${what} ${why}${hint}`);
  }
  return found;
}

/** Why a git directory is not one, by git's own test (a HEAD file, and objects in its common directory), or undefined. */
function notAGitDir(dir: string, common: string): string | undefined {
  if (kindOf(dir) !== 'dir') return 'does not exist';
  if (kindOf(join(dir, 'HEAD')) !== 'file') return 'has no HEAD file';
  if (kindOf(join(common, 'objects')) !== 'dir') return common === dir ? 'has no objects directory' : `shares objects with ${common}, which has none`;
  return undefined;
}

/**
 * Refuses a repository whose objects or refs are in a format Kradle's readers do not know: isomorphic-git reads
 * SHA-1 objects and files refs only, and a SHA-256 repository would otherwise read as a damaged ref.
 */
export function assertReadableFormat(gitdir: string): void {
  let config: string;
  try {
    config = readFileSync(join(gitdir, 'config'), 'utf8');
  } catch {
    return; // no config: git's defaults
  }
  const extensions = /^\s*\[extensions\]([^[]*)/im.exec(config)?.[1] ?? '';
  const value = (key: string) => new RegExp(`^\\s*${key}\\s*=\\s*"?([^\\s"#;]+)`, 'im').exec(extensions)?.[1]?.toLowerCase();
  const objects = value('objectformat');
  const refs = value('refstorage');
  const why = objects !== undefined && objects !== 'sha1' ? `uses the ${objects} object format; Kradle reads SHA-1 repositories only`
    : refs !== undefined && refs !== 'files' ? `keeps its refs in ${refs}; Kradle reads refs stored as files only`
      : undefined;
  if (why === undefined) return;
  throw new KradleError(`the git repository at ${gitdir} ${why} (a SHA-1 copy made with git fast-export and git fast-import can be read)`, {
    code: 'REPO_UNSUPPORTED', status: 422, reason: 'RepositoryUnsupported', disposition: 'stalled',
  });
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
