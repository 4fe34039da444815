import { UpstreamError } from '../errors/index.ts';

export type ForgeKind = 'github' | 'gitea';
export type CommitState = 'pending' | 'success' | 'failure' | 'error';

interface Comment {
  id: number;
  body: string;
}

/** The few calls of a GitHub-compatible REST API (Gitea's /api/v1 has the same paths) that previews need. */
export interface ForgeClient {
  setStatus(owner: string, repo: string, sha: string, status: { state: CommitState; description: string; context: string; targetUrl?: string }): Promise<void>;
  /** Every comment of an issue or pull request, oldest first. */
  listComments(owner: string, repo: string, number: number): Promise<Comment[]>;
  createComment(owner: string, repo: string, number: number, body: string): Promise<Comment>;
  updateComment(owner: string, repo: string, id: number, body: string): Promise<Comment>;
}

const PAGE = 100;
const MAX_PAGES = 50;
const TIMEOUT_MS = 15_000;

/**
 * A REST client with the token in a header only: a failure says which call failed and the status, never the
 * forge's body (it may echo the request) nor the token.
 */
export function createForgeClient(opts: { api: string; forge: ForgeKind; token: string; fetch?: typeof fetch }): ForgeClient {
  const doFetch = opts.fetch ?? fetch;
  const auth = opts.forge === 'gitea' ? `token ${opts.token}` : `Bearer ${opts.token}`;
  const seg = encodeURIComponent;

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await doFetch(`${opts.api}${path}`, {
        method,
        headers: { authorization: auth, accept: 'application/json', 'user-agent': 'kradle', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw new UpstreamError(`forge ${method} ${path} failed: ${(err as Error).name === 'TimeoutError' ? 'timed out' : 'unreachable'}`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new UpstreamError(`forge ${method} ${path} answered ${res.status}`);
    }
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  return {
    async setStatus(owner, repo, sha, s) {
      await call('POST', `/repos/${seg(owner)}/${seg(repo)}/statuses/${seg(sha)}`, {
        state: s.state, description: s.description.slice(0, 140), context: s.context, ...(s.targetUrl ? { target_url: s.targetUrl } : {}),
      });
    },
    async listComments(owner, repo, number) {
      const all: Comment[] = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const got = await call<Comment[]>('GET', `/repos/${seg(owner)}/${seg(repo)}/issues/${number}/comments?per_page=${PAGE}&limit=${PAGE}&page=${page}`);
        all.push(...got.map(({ id, body }) => ({ id, body: body ?? '' })));
        if (got.length < PAGE) break;
      }
      return all;
    },
    createComment: (owner, repo, number, body) => call('POST', `/repos/${seg(owner)}/${seg(repo)}/issues/${number}/comments`, { body }),
    updateComment: (owner, repo, id, body) => call('PATCH', `/repos/${seg(owner)}/${seg(repo)}/issues/comments/${id}`, { body }),
  };
}
