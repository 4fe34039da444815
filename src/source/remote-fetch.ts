import fs from 'node:fs';
import { UpstreamError, sanitize } from '../errors/index.ts';
import { isoGit } from './objects.ts';
import type { RemoteAuth } from './remote-url.ts';

export interface FetchTarget {
  gitdir: string;
  cache: object;
  url: string;
  auth?: RemoteAuth;
}

export interface FetchOnce {
  /** Branch or tag; undefined fetches the remote's HEAD branch. */
  ref?: string;
  depth: number;
  /** Deepen the existing shallow history by `depth` instead of cutting it to `depth`. */
  relative?: boolean;
}

export interface FetchedRef {
  /** The object the ref points to (a commit, or an annotated tag). */
  oid: string;
  /** Full name of what was fetched: `refs/heads/<b>` or `refs/tags/<t>`. */
  fullRef: string;
}

function authOptions(auth: RemoteAuth | undefined) {
  if (!auth) return {};
  if ('token' in auth) return { headers: { Authorization: `Bearer ${auth.token}` } };
  // Answer the first 401 with the credentials, and give up on the second instead of looping.
  return { onAuth: () => ({ username: auth.username, password: auth.password }), onAuthFailure: () => ({ cancel: true }) };
}

function secretsOf(auth: RemoteAuth | undefined): string[] {
  if (!auth) return [];
  return ('token' in auth ? [auth.token] : [auth.password, auth.username]).filter((s) => s.length >= 4);
}

/** An UpstreamError that names the clean URL and the cause, with every credential scrubbed out. */
export function fetchError(target: FetchTarget, err: unknown): UpstreamError {
  const e = err as { code?: string; message?: string; data?: { statusCode?: number; statusMessage?: string } };
  const why = e.code === 'HttpError' && e.data?.statusCode
    ? `HTTP ${e.data.statusCode} ${e.data.statusMessage ?? ''}`.trim()
    : e.code === 'UserCanceledError' ? 'authentication failed' : (e.message ?? String(err));
  let message = sanitize(`fetch of ${target.url} failed: ${why}`);
  for (const secret of secretsOf(target.auth)) message = message.split(secret).join('***');
  return new UpstreamError(message, { details: [{ code: e.code ?? 'FETCH_FAILED', message: 'git fetch failed' }] });
}

/** One single-branch shallow fetch; the caller writes local refs from the result. */
export async function fetchOnce(target: FetchTarget, req: FetchOnce): Promise<FetchedRef> {
  try {
    const git = await isoGit();
    const { default: http } = await import('isomorphic-git/http/node');
    const res = await git.fetch({
      fs, http, gitdir: target.gitdir, cache: target.cache, url: target.url,
      ref: req.ref, singleBranch: true, depth: req.depth, relative: req.relative ?? false, tags: false,
      ...authOptions(target.auth),
    });
    if (!res.fetchHead) throw new Error(`the remote has no ${req.ref ?? 'HEAD'} ref`);
    const desc = res.fetchHeadDescription ?? '';
    const fullRef = req.ref === undefined
      ? res.defaultBranch ?? 'refs/heads/HEAD'
      : desc.startsWith('tag ') ? `refs/tags/${req.ref.replace(/^refs\/tags\//, '')}` : `refs/heads/${req.ref.replace(/^refs\/heads\//, '')}`;
    return { oid: res.fetchHead, fullRef };
  } catch (err) {
    throw fetchError(target, err);
  }
}

/** A bare cache repository with an `origin` remote (isomorphic-git needs its refspec to store remote refs). */
export async function initCache(gitdir: string, url: string): Promise<void> {
  const git = await isoGit();
  await git.init({ fs, dir: gitdir, gitdir, bare: true, defaultBranch: 'main' });
  await git.addRemote({ fs, gitdir, remote: 'origin', url, force: true });
}

export async function writeLocalRef(target: FetchTarget, fullRef: string, oid: string): Promise<void> {
  await (await isoGit()).writeRef({ fs, gitdir: target.gitdir, ref: fullRef, value: oid, force: true });
}
