import { BadRequestError } from '../errors/index.ts';
import type { ForgeKind } from './client.ts';

/** A pull request on a forge, and the REST API that serves it. */
export interface PullRequestTarget {
  forge: ForgeKind;
  /** The API root: https://api.github.com, https://<host>/api/v3 (GitHub Enterprise), https://<host>/api/v1 (Gitea). */
  api: string;
  owner: string;
  repo: string;
  number: number;
  /** The repository's web address, for links to files at a commit. */
  web: string;
}

/**
 * Reads a pull request's web address: github.com/<o>/<r>/pull/<n> (GitHub, and GitHub Enterprise on another
 * host) or <host>/<o>/<r>/pulls/<n> (Gitea). `api` overrides the API root (a proxy, or a test server).
 */
export function parsePullRequestUrl(url: string, api?: string): PullRequestTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new BadRequestError(`not a pull request URL: ${JSON.stringify(url)}`);
  }
  if (u.username || u.password) throw new BadRequestError('a pull request URL must not carry credentials; use KRADLE_FORGE_TOKEN');
  const m = /^((?:\/[^/]+)*?)\/([^/]+)\/([^/]+)\/(pull|pulls)\/(\d+)\/?$/.exec(u.pathname);
  if (!m || !/^https?:$/.test(u.protocol)) throw new BadRequestError(`not a pull request URL (…/<owner>/<repo>/pull/<n> or …/pulls/<n>): ${JSON.stringify(url)}`);
  const [, prefix, owner, repo, kind, number] = m as unknown as [string, string, string, string, string, string];
  const base = `${u.origin}${prefix}`;
  const forge: ForgeKind = kind === 'pulls' ? 'gitea' : 'github';
  const defaultApi = forge === 'gitea' ? `${base}/api/v1` : u.hostname === 'github.com' ? 'https://api.github.com' : `${base}/api/v3`;
  return { forge, api: (api ?? defaultApi).replace(/\/+$/, ''), owner, repo, number: Number(number), web: `${base}/${owner}/${repo}` };
}
