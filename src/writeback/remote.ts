import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { UpstreamError, sanitize } from '../errors/index.ts';
import type { GitContext } from './git-tree.ts';
import type { RemoteOptions } from './types.ts';

const REMOTE = 'origin';

function authOf(remote: RemoteOptions) {
  const { username, password, headers } = remote.auth ?? {};
  return {
    headers: headers ?? {},
    onAuth: username || password ? () => ({ username, password }) : undefined,
  };
}

/** Wraps a transport failure without its cause: isomorphic-git errors may carry the URL and headers. */
function upstream(what: string, err: unknown): UpstreamError {
  const message = err instanceof Error ? err.message : String(err);
  return new UpstreamError(sanitize(`${what}: ${message}`));
}

/** Creates the cache git directory of a remote when it does not exist yet. */
export async function ensureRepo(ctx: GitContext): Promise<void> {
  try {
    await ctx.fs.promises.stat(`${ctx.gitdir}/HEAD`);
  } catch {
    await git.init({ fs: ctx.fs, gitdir: ctx.gitdir, bare: true });
  }
}

/** Fetches the branch; returns the remote head, or null when the remote has no such branch yet. */
export async function fetchBranch(ctx: GitContext, remote: RemoteOptions, branch: string): Promise<string | null> {
  try {
    const res = await git.fetch({ ...ctx, http, url: remote.url, remote: REMOTE, ref: branch, singleBranch: true, tags: false, ...authOf(remote) });
    return res.fetchHead ?? null;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'NotFoundError' && /could not find/i.test(String((err as Error).message))) return null;
    throw upstream(`fetch of ${remote.url} failed`, err);
  }
}

// What receive-pack answers when the ref moved under us, as opposed to a hook or permission refusal.
const RACE = /non-fast-forward|fetch first|stale info|failed to lock|cannot lock|failed to update/i;

function lostRace(err: unknown): boolean {
  const refs = (err as { data?: { result?: { refs?: Record<string, { error?: string }> } } }).data?.result?.refs ?? {};
  return Object.values(refs).some((r) => RACE.test(r.error ?? ''));
}

export type PushOutcome = 'pushed' | 'rejected';

/** Pushes `commit` to `refs/heads/<branch>` on the remote; a non-fast-forward answer is 'rejected'. */
export async function pushCommit(ctx: GitContext, remote: RemoteOptions, commit: string, branch: string): Promise<PushOutcome> {
  // push sends a local ref: a scratch ref names the commit for the duration of the push.
  const scratch = `refs/kradle/push/${commit}`;
  await git.writeRef({ fs: ctx.fs, gitdir: ctx.gitdir, ref: scratch, value: commit, force: true });
  try {
    const res = await git.push({ ...ctx, http, url: remote.url, remote: REMOTE, ref: scratch, remoteRef: `refs/heads/${branch}`, ...authOf(remote) });
    return res.ok ? 'pushed' : 'rejected';
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'PushRejectedError' || (code === 'GitPushError' && lostRace(err))) return 'rejected';
    throw upstream(`push to ${remote.url} failed`, err);
  } finally {
    await git.deleteRef({ fs: ctx.fs, gitdir: ctx.gitdir, ref: scratch }).catch(() => undefined);
  }
}
