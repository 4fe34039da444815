import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import git from 'isomorphic-git';
import { ConflictError } from '../errors/index.ts';
import type { WriterFs } from './types.ts';

/** A working tree that has a branch checked out: the repository's own, or one added with `git worktree add`. */
interface CheckedOut {
  dir: string;
  linked: boolean;
}

/** The clean tree a write will bring along, with git's index lock held until `release`. */
export interface HeldTree extends CheckedOut {
  release(): Promise<void>;
}

const INDEX_LOCK_WAIT_MS = 20;
const INDEX_LOCK_TRIES = 50;

const read = (file: string) => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
};

const namesBranch = (head: string | undefined, branch: string) => head === `ref: refs/heads/${branch}`;

/** Whether the git directory's config says it is bare, as `git init --bare` (and our own import) write it. */
function isBare(gitdir: string): boolean {
  const config = read(join(gitdir, 'config')) ?? '';
  const m = /^\s*bare\s*=\s*(\w+)/im.exec(config);
  return m ? m[1]!.toLowerCase() === 'true' : basename(gitdir) !== '.git';
}

/** Every working tree of the repository whose HEAD names `branch`. */
function checkedOut(gitdir: string, branch: string): CheckedOut[] {
  const out: CheckedOut[] = [];
  if (!isBare(gitdir) && namesBranch(read(join(gitdir, 'HEAD')), branch)) out.push({ dir: dirname(resolve(gitdir)), linked: false });
  const linkedRoot = join(gitdir, 'worktrees');
  if (!statSync(linkedRoot, { throwIfNoEntry: false })?.isDirectory()) return out;
  for (const name of readdirSync(linkedRoot)) {
    const admin = join(linkedRoot, name);
    if (!namesBranch(read(join(admin, 'HEAD')), branch)) continue;
    const dotGit = read(join(admin, 'gitdir'));
    if (dotGit) out.push({ dir: dirname(isAbsolute(dotGit) ? dotGit : resolve(admin, dotGit)), linked: true });
  }
  return out;
}

/**
 * The written paths whose working-tree or staged state differs from HEAD, or that are untracked files the write
 * would replace. Only those: the walk goes down their directories alone, so a write costs the same in a tree of
 * 10,000 files as in one of ten (a whole-tree status stat every file, ~1 s there).
 */
async function localChanges(fs: WriterFs, dir: string, gitdir: string, cache: object, written: readonly string[]): Promise<string[]> {
  const touched = new Set(written);
  const rows = await git.statusMatrix({ fs, dir, gitdir, cache, filepaths: [...written] });
  return rows
    .filter(([path, head, work, stage]) => (head === 0 && stage === 0 ? touched.has(path) : !(head === 1 && work === 1 && stage === 1)))
    .map(([path]) => path);
}

function refuse(branch: string, dir: string, why: string, fix: string): ConflictError {
  return new ConflictError(`branch ${branch} is checked out in the working tree ${dir}, which ${why}: the write was not committed. ${fix}`, {
    details: [{ code: 'BRANCH_CHECKED_OUT', message: why, field: 'branch' }],
  });
}

/**
 * Takes `index.lock` as git does (create-exclusive), waiting a moment for a git command that holds it. isomorphic-git
 * writes the index without it: a `git add` or `git commit` finishing meanwhile would rename its own index over
 * ours, leaving the API write as a staged reversal. A lock that stays is a git command still running, or one that
 * crashed; like git, Kradle never takes it away: undefined, and the caller refuses.
 */
async function lockIndex(fs: WriterFs, gitdir: string): Promise<(() => Promise<void>) | undefined> {
  const lock = join(gitdir, 'index.lock');
  for (let i = 0; i < INDEX_LOCK_TRIES; i++) {
    try {
      await fs.promises.writeFile(lock, '', { flag: 'wx' });
      return () => fs.promises.unlink(lock).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await new Promise((r) => setTimeout(r, INDEX_LOCK_WAIT_MS));
    }
  }
  return undefined;
}

/**
 * Kradle moves a branch by writing its ref; a working tree with that branch checked out would then show
 * every API write as a staged reversal, and the operator's next commit would revert it. As git's
 * `receive.denyCurrentBranch=updateInstead` does, a clean tree is brought along (index and files) and a
 * tree with local changes, or a linked worktree, refuses the write.
 */
export function createWorktreeGuard(fs: WriterFs, gitdir: string, cache: object = {}) {
  return {
    /**
     * Throws a 409 naming the tree and the fix when a checked-out tree of `branch` cannot follow the write; a tree
     * that can is returned with its index locked, to be released once the branch and the tree have moved.
     */
    async check(branch: string, written: readonly string[]): Promise<HeldTree | undefined> {
      const trees = checkedOut(gitdir, branch);
      const linked = trees.find((t) => t.linked);
      if (linked) {
        throw refuse(branch, linked.dir, 'is a linked worktree Kradle does not update', `Switch that worktree to another branch (git -C ${linked.dir} switch --detach), or serve a bare clone of the repository.`);
      }
      const main = trees[0];
      if (!main) return undefined;
      const release = await lockIndex(fs, gitdir);
      if (!release) {
        const lock = join(gitdir, 'index.lock');
        throw refuse(branch, main.dir, `has its index locked by a git command (${lock})`, `Retry once it ends; if no git command is running there, one crashed: remove ${lock}.`);
      }
      try {
        const changed = await localChanges(fs, main.dir, gitdir, cache, written);
        if (changed.length > 0) {
          const list = changed.slice(0, 5).join(', ') + (changed.length > 5 ? `, and ${changed.length - 5} more` : '');
          throw refuse(branch, main.dir, `has uncommitted changes (${list})`, `Commit or stash them there and retry, or serve a bare clone of the repository (git clone --bare).`);
        }
      } catch (err) {
        await release();
        throw err;
      }
      return { ...main, release };
    },
    /** Brings the written paths of the tree checked by `check` (index and files) to the branch's new tip. */
    async follow(tree: CheckedOut, branch: string, written: readonly string[]): Promise<void> {
      await git.checkout({ fs, dir: tree.dir, gitdir, cache, ref: branch, filepaths: [...written] });
    },
  };
}
