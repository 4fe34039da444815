import { BadRequestError, UnauthorizedError } from '../../errors/index.ts';
import { readJson } from '../body.ts';
import type { ApiContext, RouteDef } from '../context.ts';
import { clearSessionCookie, setSessionCookie } from './cookies.ts';
import type { SessionService } from './sessions.ts';

/** Eight hours: a working day, after which a browser signs in again. */
export const DEFAULT_SESSION_TTL_MS = 8 * 3600_000;

function whoAmI(ctx: ApiContext) {
  const p = ctx.state.principal!;
  const c = ctx.state.credential!;
  return {
    subject: p.subject, org: p.org, role: p.role, tokenId: p.tokenId, via: c.kind,
    ...(c.kind === 'session' ? { sessionId: c.sessionId, expiresAt: c.expiresAt, csrfToken: c.csrfToken } : {}),
  };
}

/** POST /api/session trades a token for a cookie; GET says who is signed in; DELETE signs out. */
export function sessionRoutes(sessions: SessionService, ttlMs = DEFAULT_SESSION_TTL_MS): RouteDef[] {
  return [
    {
      method: 'POST', path: '/api/session', auth: 'public',
      summary: 'Sign in: trade a token ({token}, or the Authorization header) for an HttpOnly session cookie; answers the CSRF token',
      async handler(ctx) {
        // JSON only: a cross-site form cannot send application/json, so it cannot sign a browser in as someone else.
        const body = await readJson(ctx);
        const bearer = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1];
        const token = typeof body.token === 'string' ? body.token.trim() : bearer;
        if (!token) throw new BadRequestError('send the token as {"token": "..."} or in the Authorization header', { details: [{ code: 'REQUIRED', message: 'token is required', field: 'token' }] });
        const made = await sessions.create(token, ttlMs);
        if (!made) throw new UnauthorizedError('the token is unknown, expired or revoked');
        setSessionCookie(ctx, made.cookie, ttlMs / 1000);
        const s = made.session;
        ctx.state.principal = s.principal;
        ctx.state.credential = { kind: 'session', sessionId: s.id, csrfToken: s.csrfToken, expiresAt: s.expiresAt, stillValid: () => sessions.active(s.id) };
        ctx.status = 201;
        ctx.body = whoAmI(ctx);
      },
    },
    {
      method: 'GET', path: '/api/session', auth: 'any',
      summary: 'Who is signed in: subject, org, role; with a session cookie also its expiry and CSRF token',
      async handler(ctx) {
        ctx.body = whoAmI(ctx);
      },
    },
    {
      method: 'DELETE', path: '/api/session', auth: 'any',
      summary: 'Sign out: ends the session of the cookie (needs X-CSRF-Token) and clears the cookie; 204',
      async handler(ctx) {
        const id = ctx.state.credential?.sessionId;
        if (id) await sessions.revoke(id);
        clearSessionCookie(ctx);
        ctx.status = 204;
      },
    },
  ];
}
