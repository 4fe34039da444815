import { sanitize } from '../../errors/index.ts';
import type { ProviderAdapter, ProviderConnection, ProviderWrite, SendResult } from './types.ts';

/** The REST collection of each kind: GitHub and Gitea share `/repos/{owner}/{repo}/issues|pulls`. */
const COLLECTIONS: Record<string, string> = { Issue: 'issues', PullRequest: 'pulls' };

function requestOf(w: ProviderWrite): { method: string; path: string; body: Record<string, unknown> } | string {
  const collection = COLLECTIONS[w.kind];
  if (!collection) return `writes of ${w.kind} are not supported by this provider (only ${Object.keys(COLLECTIONS).join(', ')})`;
  if (!/^[\w.-]+\/[\w.-]+$/.test(w.repository)) return `repository ${JSON.stringify(w.repository)} is not owner/name`;
  const base = `/repos/${w.repository}/${collection}`;
  if (w.operation === 'create') return { method: 'POST', path: base, body: w.payload };
  if (!w.externalId || !/^\d+$/.test(w.externalId)) return `${w.operation} needs the provider's number of the ${w.kind} (spec.externalId)`;
  // Issues and pull requests cannot be deleted through these APIs: closing is the delete.
  const body = w.operation === 'delete' ? { ...w.payload, state: 'closed' } : w.payload;
  return { method: 'PATCH', path: `${base}/${w.externalId}`, body };
}

/**
 * Issues and pull requests over a GitHub-compatible REST API. GitHub takes `Authorization: Bearer`,
 * Gitea (`/api/v1`) `Authorization: token`; the paths and bodies are the same.
 */
export function createRestIssuesAdapter(type: 'github' | 'gitea'): ProviderAdapter {
  const scheme = type === 'github' ? 'Bearer' : 'token';
  return {
    type,
    async send(write: ProviderWrite, conn: ProviderConnection): Promise<SendResult> {
      const req = requestOf(write);
      if (typeof req === 'string') return { ok: false, retryable: false, error: req };
      const url = `${conn.endpoint.replace(/\/+$/, '')}${req.path}`;
      let res: Response;
      try {
        res = await conn.fetch(url, {
          method: req.method,
          headers: { accept: 'application/json', 'content-type': 'application/json', 'user-agent': 'kradle', ...(conn.token ? { authorization: `${scheme} ${conn.token}` } : {}) },
          body: JSON.stringify(req.body),
          signal: AbortSignal.timeout(conn.timeoutMs ?? 30_000),
        });
      } catch (err) {
        return { ok: false, retryable: true, error: sanitize(`${req.method} ${req.path} failed: ${err instanceof Error ? err.message : String(err)}`) };
      }
      // The provider's answer body may echo what it was sent: only its status is kept.
      const answer = (await res.json().catch(() => undefined)) as { number?: unknown } | undefined;
      if (res.ok) return { ok: true, status: res.status, externalId: answer?.number !== undefined ? String(answer.number) : write.externalId };
      const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
      return { ok: false, status: res.status, retryable, error: `${req.method} ${req.path}: HTTP ${res.status}` };
    },
  };
}
