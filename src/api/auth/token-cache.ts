import { createHash } from 'node:crypto';
import { StoreUnavailableError } from '../../errors/index.ts';
import type { Principal } from '../context.ts';
import type { TokenService } from './tokens.ts';

export interface TokenCacheOptions {
  /** A verified token is trusted this long without asking the store again (revocation reaches every replica within it). */
  freshMs?: number;
  /** While the store is unavailable, a token verified this recently still authenticates reads served from memory. */
  outageGraceMs?: number;
  now?: () => number;
}

/**
 * Verification with a short memory: every authenticated request used to cost a query, so a database outage
 * turned even config reads served from memory into errors. A revoke through this service forgets the token
 * at once; an expired token (`expiresAt`) is never served from the cache.
 */
export function withTokenCache(tokens: TokenService, opts: TokenCacheOptions = {}): TokenService {
  const freshMs = opts.freshMs ?? 5_000;
  const graceMs = opts.outageGraceMs ?? 10 * 60_000;
  const now = opts.now ?? Date.now;
  const verified = new Map<string, { principal: Principal; at: number }>();

  const expired = (p: Principal) => p.expiresAt !== undefined && Date.parse(p.expiresAt) <= now();

  return {
    ...tokens,
    async revoke(id) {
      const done = await tokens.revoke(id);
      for (const [key, v] of verified) if (v.principal.tokenId === id) verified.delete(key);
      return done;
    },
    async verify(token) {
      // Keyed by digest: the cache holds no usable token text.
      const key = createHash('sha256').update(token).digest('base64');
      const hit = verified.get(key);
      if (hit && now() - hit.at < freshMs && !expired(hit.principal)) return hit.principal;
      try {
        const principal = await tokens.verify(token);
        if (principal) verified.set(key, { principal, at: now() });
        else verified.delete(key);
        return principal;
      } catch (err) {
        if (err instanceof StoreUnavailableError && hit && now() - hit.at < graceMs && !expired(hit.principal)) return hit.principal;
        throw err;
      }
    },
  };
}
