import { dirname, join } from 'node:path';
import git from 'isomorphic-git';
import type { WriterFs } from './types.ts';

const LOCK_WAIT_MS = 20;
const LOCK_TRIES = 50;

async function currentOid(fs: WriterFs, gitdir: string, ref: string): Promise<string | null> {
  try {
    return await git.resolveRef({ fs, gitdir, ref, depth: 1 });
  } catch (err) {
    if ((err as { code?: string }).code === 'NotFoundError') return null;
    throw err;
  }
}

async function takeLock(fs: WriterFs, lock: string, content: string): Promise<boolean> {
  for (let i = 0; i < LOCK_TRIES; i++) {
    try {
      await fs.promises.writeFile(lock, content, { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await new Promise((r) => setTimeout(r, LOCK_WAIT_MS));
    }
  }
  return false;
}

/**
 * Points `ref` at `next` only if it still points at `expected` (null: only if it does not exist).
 * Uses git's own `<ref>.lock` protocol, so it is safe against the git CLI and other processes too.
 * Returns false when the ref moved (or the lock stayed taken): the caller redoes its work.
 */
export async function compareAndSwapRef(fs: WriterFs, gitdir: string, ref: string, expected: string | null, next: string): Promise<boolean> {
  const file = join(gitdir, ref);
  const lock = `${file}.lock`;
  await fs.promises.mkdir(dirname(file), { recursive: true });
  if (!(await takeLock(fs, lock, `${next}\n`))) return false;
  try {
    if ((await currentOid(fs, gitdir, ref)) !== expected) {
      await fs.promises.unlink(lock);
      return false;
    }
    await fs.promises.rename(lock, file);
    return true;
  } catch (err) {
    await fs.promises.unlink(lock).catch(() => undefined);
    throw err;
  }
}

export { currentOid as readRef };
