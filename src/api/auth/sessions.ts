import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '../../store/types.ts';
import type { Principal } from '../context.ts';
import type { TokenService } from './tokens.ts';

/** A signed-in browser: who it acts as, and the CSRF token its page must echo on unsafe requests. */
export interface Session {
  id: string;
  principal: Principal;
  csrfToken: string;
  expiresAt: string;
}

export interface SessionService {
  /** A new session for a valid token; `cookie` is what the browser keeps (never the token itself). */
  create(token: string, ttlMs: number): Promise<{ cookie: string; session: Session } | undefined>;
  /** The session a cookie names while it is unexpired, unrevoked and its token still valid. */
  verify(cookie: string): Promise<Session | undefined>;
  /** Whether session `id` may still be used (an open event stream asks this every few seconds). */
  active(id: string): Promise<boolean>;
  /** Ends a session; later uses of its cookie are 401. */
  revoke(id: string): Promise<void>;
}

const COOKIE_RE = /^kss_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;

interface Row {
  id: string;
  secret_hash: string;
  token_id: string;
  expires_at: string | Date;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();
const iso = (d: string | Date): string => (d instanceof Date ? d : new Date(d)).toISOString();

/**
 * The CSRF token is derived from the cookie's secret (a keyed hash), so the server keeps nothing more and a
 * page on another site, which can neither read the cookie nor this value, cannot forge it.
 */
function csrfOf(cookie: string): string {
  return createHmac('sha256', cookie).update('kradle-csrf').digest('base64url');
}

/** Sessions in table api_sessions (migration 610): `kss_<id>_<secret>`, looked up by id, compared by hash. */
export function createSessionService(store: Pick<Store, 'query'>, tokens: TokenService): SessionService {
  async function usableRow(id: string): Promise<Row | undefined> {
    const rows = await store.query<Row>(
      'SELECT id, secret_hash, token_id, expires_at FROM api_sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > now()',
      [id],
    );
    return rows[0];
  }

  return {
    async create(token, ttlMs) {
      const principal = await tokens.verify(token);
      if (!principal) return undefined;
      // Expired sessions are swept here, where a new row is written anyway: no timer of its own.
      await store.query('DELETE FROM api_sessions WHERE expires_at < now()');
      const id = randomBytes(8).toString('hex');
      const cookie = `kss_${id}_${randomBytes(32).toString('base64url')}`;
      const expiresAt = new Date(Date.now() + ttlMs).toISOString();
      await store.query('INSERT INTO api_sessions (id, secret_hash, token_id, expires_at) VALUES ($1, $2, $3, $4)', [
        id, sha256(cookie).toString('hex'), principal.tokenId, expiresAt,
      ]);
      return { cookie, session: { id, principal, csrfToken: csrfOf(cookie), expiresAt } };
    },
    async verify(cookie) {
      const m = COOKIE_RE.exec(cookie);
      if (!m) return undefined;
      const row = await usableRow(m[1]!);
      if (!row) return undefined;
      const stored = Buffer.from(row.secret_hash, 'hex');
      const given = sha256(cookie);
      if (stored.length !== given.length || !timingSafeEqual(stored, given)) return undefined;
      const principal = await tokens.principal(row.token_id);
      if (!principal) return undefined;
      return { id: row.id, principal, csrfToken: csrfOf(cookie), expiresAt: iso(row.expires_at) };
    },
    async active(id) {
      const row = await usableRow(id);
      return Boolean(row && (await tokens.principal(row.token_id)));
    },
    async revoke(id) {
      await store.query('UPDATE api_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
    },
  };
}

/** Compares a CSRF header with the session's token in constant time. */
export function csrfMatches(session: Session, given: string): boolean {
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
