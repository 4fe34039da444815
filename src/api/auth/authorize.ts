import { ForbiddenError, UnauthorizedError } from '../../errors/index.ts';
import { PLATFORM_ORG, type ApiContext, type AuthRule, type Principal } from '../context.ts';
import type { TokenService } from './tokens.ts';

const WRITE_ROLES = new Set(['admin', 'writer']);

/** Reads `Authorization: Bearer <token>`; the token is never logged or stored on the context. */
async function principalOf(ctx: ApiContext, tokens: TokenService): Promise<Principal> {
  const header = ctx.get('authorization');
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw new UnauthorizedError();
  const principal = await tokens.verify(m[1]!);
  if (!principal) throw new UnauthorizedError('the bearer token is unknown or revoked');
  return principal;
}

/** May this principal see or change data of `org`? Platform tokens may act on every org. */
export function canActOn(p: Principal, org: string): boolean {
  return p.org === PLATFORM_ORG || p.org === org;
}

export function authorize(rule: AuthRule, tokens: TokenService) {
  return async (ctx: ApiContext): Promise<void> => {
    if (rule === 'public' || rule === 'hmac') return;
    const p = await principalOf(ctx, tokens);
    ctx.state.principal = p;
    ctx.state.log = ctx.state.log.child({ subject: p.subject, tokenId: p.tokenId });
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
