import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { BadRequestError } from '../errors/index.ts';

export type RemoteAuth = { token: string } | { username: string; password: string };

export function isRemoteUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/**
 * Splits credentials out of an http(s) URL: the clean URL is what we show and fetch, the userinfo
 * becomes basic auth (unless explicit auth is given).
 */
export function splitUrl(url: string): { url: string; auth?: RemoteAuth } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BadRequestError('the config repo URL is not a valid http(s) URL');
  }
  const auth = parsed.username
    ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
    : undefined;
  parsed.username = '';
  parsed.password = '';
  parsed.hash = '';
  return { url: parsed.toString().replace(/\/$/, ''), auth };
}

/** `.kradle/cache/<host-and-path>-<hash>`: readable, and free of credentials (it is built from the clean URL). */
export function defaultCacheDir(cleanUrl: string): string {
  const u = new URL(cleanUrl);
  const readable = `${u.host}${u.pathname}`.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  const hash = createHash('sha256').update(cleanUrl).digest('hex').slice(0, 12);
  return join('.kradle', 'cache', `${readable}-${hash}`);
}
