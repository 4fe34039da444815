import { ForbiddenError, UnauthorizedError } from '../../errors/index.ts';
import { PLATFORM_ORG, type ApiContext, type AuthRule, type Credential, type Principal } from '../context.ts';
import { SESSION_COOKIE, readCookie } from './cookies.ts';
import { csrfMatches, type SessionService } from './sessions.ts';
import type { TokenService } from './tokens.ts';

const WRITE_ROLES = new Set(['admin', 'writer']);
/** Methods a cross-site form or script may send without a preflight, once it has a cookie: they need a CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CSRF_HEADER = 'x-csrf-token';

export interface AuthServices {
  tokens: TokenService;
  sessions: SessionService;
}

/**
 * `Authorization: Bearer <token>` first, else the session cookie; neither text is logged or kept on the
 * context. A cookie rides along with any request the browser makes, so an unsafe method authenticated by it
 * must also carry the session's CSRF token in a header, which a page of another site cannot read or send.
 */
async function credentialOf(ctx: ApiContext, auth: AuthServices): Promise<{ principal: Principal; credential: Credential }> {
  const header = ctx.get('authorization');
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new UnauthorizedError();
    const principal = await auth.tokens.verify(m[1]!);
    if (!principal) throw new UnauthorizedError('the bearer token is unknown, expired or revoked');
    return { principal, credential: { kind: 'bearer', stillValid: async () => Boolean(await auth.tokens.principal(principal.tokenId)) } };
  }
  const cookie = readCookie(ctx, SESSION_COOKIE);
  if (!cookie) throw new UnauthorizedError('a valid bearer token or session cookie is required');
  const session = await auth.sessions.verify(cookie);
  if (!session) throw new UnauthorizedError('the session is unknown, expired or ended, or its token was revoked: sign in again');
  if (!SAFE_METHODS.has(ctx.method) && !csrfMatches(session, ctx.get(CSRF_HEADER))) {
    throw new ForbiddenError(`a ${ctx.method} authenticated by the session cookie needs the session's CSRF token in header X-CSRF-Token (GET /api/session returns it)`, { code: 'CSRF_REQUIRED' });
  }
  const credential: Credential = {
    kind: 'session', sessionId: session.id, csrfToken: session.csrfToken, expiresAt: session.expiresAt,
    stillValid: () => auth.sessions.active(session.id),
  };
  return { principal: session.principal, credential };
}

/** May this principal see or change data of `org`? Platform tokens may act on every org. */
export function canActOn(p: Principal, org: string): boolean {
  return p.org === PLATFORM_ORG || p.org === org;
}

export function authorize(rule: AuthRule, auth: AuthServices) {
  return async (ctx: ApiContext): Promise<void> => {
    if (rule === 'public' || rule === 'hmac') return;
    const { principal: p, credential } = await credentialOf(ctx, auth);
    ctx.state.principal = p;
    ctx.state.credential = credential;
    ctx.state.log = ctx.state.log.child({ subject: p.subject, tokenId: p.tokenId, ...(credential.sessionId ? { sessionId: credential.sessionId } : {}) });
    const writes = rule === 'org-write' || rule === 'platform-write';
    if (writes && !WRITE_ROLES.has(p.role)) throw new ForbiddenError(`role ${p.role} may not write`);
    if (rule === 'platform-read' || rule === 'platform-write') {
      if (p.org !== PLATFORM_ORG) throw new ForbiddenError('this route needs a platform token (org *)');
      return;
    }
    if (rule === 'org-read' || rule === 'org-write') {
      const org = ctx.params.org ?? '';
      if (!canActOn(p, org)) throw new ForbiddenError(`the token is not valid for org ${org}`);
    }
  };
}
