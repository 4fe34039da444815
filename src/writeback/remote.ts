import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { BadRequestError, UpstreamError, sanitize } from '../errors/index.ts';
import type { GitContext } from './git-tree.ts';
import { checkRefName } from './ref-name.ts';
import type { RemoteAuth, RemoteOptions } from './types.ts';

const REMOTE = 'origin';
// What receive-pack answers when the ref moved under us, as opposed to a hook or permission refusal.
const RACE = /non-fast-forward|fetch first|stale info|failed to lock|cannot lock|failed to update/i;

export interface RemoteTarget {
  /** The URL without userinfo: the only form that reaches config files and messages. */
  url: string;
  auth?: RemoteAuth;
}

/** Splits userinfo out of the URL; explicit auth wins over it. */
export function remoteTarget(remote: RemoteOptions): RemoteTarget {
  let parsed: URL;
  try {
    parsed = new URL(remote.url);
  } catch {
    throw new BadRequestError('the config repo URL is not a valid http(s) URL');
  }
  const fromUrl = parsed.username ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) } : undefined;
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString().replace(/\/$/, ''), auth: remote.auth ?? fromUrl };
}

function authOptions(auth: RemoteAuth | undefined) {
  if (!auth) return {};
  if ('token' in auth) return { headers: { Authorization: `Bearer ${auth.token}` } };
  // Answer the first 401 with the credentials and give up on the second instead of looping.
  return { onAuth: () => ({ username: auth.username, password: auth.password }), onAuthFailure: () => ({ cancel: true }) };
}

/** Wraps a transport failure without its cause: isomorphic-git errors may carry URLs and headers. */
function upstream(what: string, target: RemoteTarget, err: unknown): UpstreamError {
  const e = err as { code?: string; message?: string; data?: { statusCode?: number; statusMessage?: string } };
  const why = e.code === 'HttpError' && e.data?.statusCode
    ? `HTTP ${e.data.statusCode} ${e.data.statusMessage ?? ''}`.trim()
    : e.code === 'UserCanceledError' ? 'authentication failed' : (e.message ?? String(err));
  let message = sanitize(`${what} ${target.url} failed: ${why}`);
  const auth = target.auth;
  const secrets = !auth ? [] : 'token' in auth ? [auth.token] : [auth.password, auth.username];
  for (const s of secrets.filter((x) => x.length >= 4)) message = message.split(s).join('***');
  return new UpstreamError(message, { details: [{ code: e.code ?? 'GIT_REMOTE_FAILED', message: `git ${what} failed` }] });
}

/** Creates the cache git directory (bare, with an `origin` remote for the fetch refspec) when missing. */
export async function ensureRepo(ctx: GitContext, target: RemoteTarget): Promise<void> {
  try {
    await ctx.fs.promises.stat(`${ctx.gitdir}/HEAD`);
  } catch {
    await git.init({ fs: ctx.fs, dir: ctx.gitdir, gitdir: ctx.gitdir, bare: true });
  }
  if (!(await git.getConfig({ fs: ctx.fs, gitdir: ctx.gitdir, path: `remote.${REMOTE}.url` }))) {
    await git.addRemote({ fs: ctx.fs, gitdir: ctx.gitdir, remote: REMOTE, url: target.url, force: true });
  }
}

/** Fetches the branch; returns the remote head, or null when the remote has no such branch yet. */
export async function fetchBranch(ctx: GitContext, target: RemoteTarget, branch: string, deepen?: number): Promise<string | null> {
  try {
    const depth = deepen ? { depth: deepen, relative: true } : {};
    const res = await git.fetch({ ...ctx, http, url: target.url, remote: REMOTE, ref: checkRefName(branch, 'branch'), singleBranch: true, tags: false, ...depth, ...authOptions(target.auth) });
    return res.fetchHead ?? null;
  } catch (err) {
    if ((err as { code?: string }).code === 'NotFoundError' && /could not find/i.test(String((err as Error).message))) return null;
    throw upstream('fetch of', target, err);
  }
}

function lostRace(err: unknown): boolean {
  const refs = (err as { data?: { result?: { refs?: Record<string, { error?: string }> } } }).data?.result?.refs ?? {};
  return Object.values(refs).some((r) => RACE.test(r.error ?? ''));
}

export type PushOutcome = 'pushed' | 'rejected';

/** Pushes `commit` to `refs/heads/<branch>` on the remote; a non-fast-forward answer is 'rejected'. */
export async function pushCommit(ctx: GitContext, target: RemoteTarget, commit: string, branch: string): Promise<PushOutcome> {
  // push sends a local ref: a scratch ref names the commit for the duration of the push.
  const scratch = `refs/kradle/push/${commit}`;
  const remoteRef = checkRefName(`refs/heads/${branch}`, 'branch');
  await git.writeRef({ fs: ctx.fs, gitdir: ctx.gitdir, ref: scratch, value: commit, force: true });
  try {
    const res = await git.push({ ...ctx, http, url: target.url, remote: REMOTE, ref: scratch, remoteRef, ...authOptions(target.auth) });
    return res.ok ? 'pushed' : 'rejected';
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'PushRejectedError' || (code === 'GitPushError' && lostRace(err))) return 'rejected';
    throw upstream('push to', target, err);
  } finally {
    await git.deleteRef({ fs: ctx.fs, gitdir: ctx.gitdir, ref: scratch }).catch(() => undefined);
  }
}
