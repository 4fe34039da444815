import { resolve } from 'node:path';

// Module-wide on purpose: two writers built over the same git directory must still take turns.
const tails = new Map<string, Promise<unknown>>();

/** Runs `fn` after every earlier call for the same git directory has settled. */
export async function withGitdirLock<T>(gitdir: string, fn: () => Promise<T>): Promise<T> {
  const key = resolve(gitdir);
  const previous = tails.get(key) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  tails.set(key, tail);
  try {
    return await run;
  } finally {
    if (tails.get(key) === tail) tails.delete(key);
  }
}
