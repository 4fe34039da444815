import { dirname, join } from 'node:path';
import git from 'isomorphic-git';
import { WaitingError } from '../errors/index.ts';
import { checkRefName } from './ref-name.ts';
import type { WriterFs } from './types.ts';

const LOCK_WAIT_MS = 20;
const LOCK_TRIES = 50;

async function currentOid(fs: WriterFs, gitdir: string, ref: string): Promise<string | null> {
  try {
    return await git.resolveRef({ fs, gitdir, ref: checkRefName(ref), depth: 1 });
  } catch (err) {
    if ((err as { code?: string }).code === 'NotFoundError') return null;
    throw err;
  }
}

/**
 * A ref update holds its lock for the few milliseconds between writing it and renaming it into place; one
 * older than this was left by a writer that died (kill -9, a full disk, a crashed git CLI).
 */
export const STALE_LOCK_MS = 30_000;

async function lockAgeMs(fs: WriterFs, lock: string): Promise<number | undefined> {
  try {
    return Date.now() - (await fs.promises.stat(lock)).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Moves a stale lock aside, then removes it only if what was moved is still old: should another process
 * have replaced it with a fresh lock in between, that lock is put back untouched.
 */
async function clearStaleLock(fs: WriterFs, lock: string): Promise<void> {
  const aside = `${lock}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await fs.promises.rename(lock, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (((await lockAgeMs(fs, aside)) ?? 0) >= STALE_LOCK_MS) await fs.promises.unlink(aside);
  else await fs.promises.rename(aside, lock).catch(() => fs.promises.unlink(aside));
}

async function takeLock(fs: WriterFs, lock: string, content: string): Promise<boolean> {
  for (let i = 0; i < LOCK_TRIES; i++) {
    try {
      await fs.promises.writeFile(lock, content, { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (((await lockAgeMs(fs, lock)) ?? 0) >= STALE_LOCK_MS) await clearStaleLock(fs, lock);
      else await new Promise((r) => setTimeout(r, LOCK_WAIT_MS));
    }
  }
  return false;
}

/** Who moved a ref and why, for its reflog: `commit: <subject>`, as git writes it. */
export interface ReflogEntry {
  name: string;
  email: string;
  message: string;
}

/**
 * Appends the move to the ref's reflog when it has one (a branch of a non-bare repository, where git keeps them
 * by default): without it, `git reflog` and `main@{1}` skip Kradle's commits, and the next entry git writes
 * starts from a commit no earlier entry led to. A ref without a log gets none, as git does for a bare repository.
 */
async function appendReflog(fs: WriterFs, gitdir: string, ref: string, from: string | null, to: string, entry: ReflogEntry): Promise<void> {
  const log = join(gitdir, 'logs', ref);
  if (!(await fs.promises.stat(log).then((s) => s.isFile(), () => false))) return;
  const message = entry.message.split('\n')[0]!.trim();
  await fs.promises.appendFile(log, `${from ?? '0'.repeat(40)} ${to} ${entry.name} <${entry.email}> ${Math.floor(Date.now() / 1000)} +0000\t${message}\n`);
}

/**
 * Points `ref` at `next` only if it still points at `expected` (null: only if it does not exist).
 * Uses git's own `<ref>.lock` protocol, so it is safe against the git CLI and other processes too.
 * Returns false when the ref moved: the caller redoes its work. A lock that stays taken by a live writer is a
 * WaitingError (503, retry); one left by a dead writer is cleared.
 */
export async function compareAndSwapRef(fs: WriterFs, gitdir: string, ref: string, expected: string | null, next: string, log?: ReflogEntry): Promise<boolean> {
  const file = join(gitdir, checkRefName(ref));
  const lock = `${file}.lock`;
  await fs.promises.mkdir(dirname(file), { recursive: true });
  if (!(await takeLock(fs, lock, `${next}\n`))) {
    const held = Math.round(((await lockAgeMs(fs, lock)) ?? 0) / 1000);
    throw new WaitingError(`${ref} is locked by another writer (${ref}.lock, held ${held} s; a lock older than ${STALE_LOCK_MS / 1000} s is cleared); retry`, { details: [{ code: 'REF_LOCKED', message: `${ref}.lock` }] });
  }
  try {
    if ((await currentOid(fs, gitdir, ref)) !== expected) {
      await fs.promises.unlink(lock);
      return false;
    }
    // Under the lock, before the move, as git does: a reader of the log never sees a move it does not list.
    if (log) await appendReflog(fs, gitdir, ref, expected, next, log);
    await fs.promises.rename(lock, file);
    return true;
  } catch (err) {
    await fs.promises.unlink(lock).catch(() => undefined);
    throw err;
  }
}

export { currentOid as readRef };
