import { resolve as resolvePath } from 'node:path';
import { NotFoundError } from '../errors/index.ts';
import { createReader, type GitSource, type GitSourceOptions } from './local-source.ts';
import type { GitContext } from './objects.ts';
import { normalizeDir } from './paths.ts';
// Imported when a fetch runs: its HTTP client is ~60 ms of start-up that a command reading a local repository never uses.
import type { FetchTarget } from './remote-fetch.ts';
import { peelToCommit } from './resolve.ts';
import { defaultCacheDir, splitUrl } from './remote-url.ts';
import type { FetchResult } from './types.ts';

const FULL_OID = /^[0-9a-f]{40}$/i;
// How far to deepen, in turn, when a commit we are asked about is older than what we fetched.
const DEEPEN_STEPS = [50, 500, 100_000];

/** Serializes async work: a second fetch waits for the first instead of racing on the same gitdir. */
function createLock() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work, work);
    tail = run.catch(() => {});
    return run;
  };
}

/** A remote repository over smart HTTP(S), fetched single-branch and shallow into a cache directory. */
export function createRemoteSource(opts: GitSourceOptions): GitSource {
  const { url, auth: urlAuth } = splitUrl(opts.url);
  const ctx: GitContext = { gitdir: resolvePath(opts.cacheDir ?? defaultCacheDir(url)), cache: opts.cache ?? {} };
  const target: FetchTarget = { ...ctx, url, auth: opts.auth ?? urlAuth };
  const pinned = opts.ref !== undefined && FULL_OID.test(opts.ref) ? opts.ref.toLowerCase() : undefined;
  const lock = createLock();
  let branch = pinned ? undefined : opts.ref;
  let last: string | undefined;
  let ready: Promise<void> | undefined;

  const fetcher = () => import('./remote-fetch.ts');
  const init = () => (ready ??= fetcher().then(({ initCache }) => initCache(ctx.gitdir, url)));

  async function fetchTracked(depth: number, relative = false): Promise<string> {
    await init();
    const { fetchOnce, writeLocalRef } = await fetcher();
    const got = await fetchOnce(target, { ref: branch, depth, relative });
    await writeLocalRef(target, got.fullRef, got.oid);
    branch ??= got.fullRef.replace(/^refs\/(heads|tags)\//, '');
    const commit = await peelToCommit(ctx, got.oid);
    if (!commit) throw new NotFoundError(`${got.fullRef} of ${url} does not point to a commit`);
    return commit;
  }

  /** Deepens the tracked branch until `commit` is present (call under the lock). */
  async function deepenUntil(commit: string): Promise<void> {
    for (const depth of DEEPEN_STEPS) {
      if (await peelToCommit(ctx, commit)) return;
      await fetchTracked(depth, true);
    }
    if (!(await peelToCommit(ctx, commit))) {
      throw new NotFoundError(`commit ${commit} is not in the history of ${branch ?? 'HEAD'} at ${url}`);
    }
  }

  // Lets changedPaths and snapshot work on commits older than the shallow history we hold.
  async function ensure(commit: string): Promise<void> {
    if (!FULL_OID.test(commit) || (await peelToCommit(ctx, commit))) return;
    await lock(() => deepenUntil(commit));
  }

  const reader = createReader(ctx, normalizeDir(opts.path), ensure);
  return {
    ...reader,
    url,
    gitdir: ctx.gitdir,
    get ref() {
      return pinned ?? branch ?? 'HEAD';
    },
    async resolve(rev: string) {
      await init();
      await ensure(rev);
      return reader.resolve(rev);
    },
    fetch: () =>
      lock(async (): Promise<FetchResult> => {
        let commit = await fetchTracked(1);
        if (pinned) {
          await deepenUntil(pinned);
          commit = pinned;
        }
        const changed = commit !== last;
        last = commit;
        return { commit, changed };
      }),
  };

}
