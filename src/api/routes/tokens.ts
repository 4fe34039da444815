import { BadRequestError, ForbiddenError, NotFoundError, ValidationError } from '../../errors/index.ts';
import { expiryFromTtl, type TokenService } from '../auth/tokens.ts';
import { readJson, requireString } from '../body.ts';
import { PLATFORM_ORG, ROLES, type ApiContext, type Principal, type Role, type RouteDef } from '../context.ts';
import type { ConfigPort } from '../deps.ts';
import { requireDeclaredOrg } from './helpers.ts';

/** Token management is for admins: a platform admin for every org, an org admin for tokens of that org only. */
function admin(ctx: ApiContext): Principal {
  const p = ctx.state.principal!;
  if (p.role !== 'admin') throw new ForbiddenError(`role ${p.role} may not manage tokens; an admin token is needed`);
  return p;
}

function mayManage(p: Principal, org: string): boolean {
  return p.org === PLATFORM_ORG || p.org === org;
}

function expiryOf(body: Record<string, unknown>): Date | undefined {
  if (body.ttl !== undefined && body.expiresAt !== undefined) throw new BadRequestError('give ttl or expiresAt, not both');
  if (body.ttl !== undefined) return expiryFromTtl(typeof body.ttl === 'string' ? body.ttl : String(body.ttl));
  if (body.expiresAt === undefined || body.expiresAt === null) return undefined;
  const at = typeof body.expiresAt === 'string' ? new Date(body.expiresAt) : new Date(NaN);
  if (Number.isNaN(at.getTime())) {
    const message = 'expiresAt must be an RFC 3339 date-time string';
    throw new ValidationError(message, { details: [{ code: 'INVALID_DATE', message, field: 'expiresAt' }] });
  }
  return at;
}

/** POST/GET/DELETE /api/tokens: tokens made through the running server, which is the store's only writer. */
export function tokenRoutes(tokens: TokenService, config: ConfigPort): RouteDef[] {
  return [
    {
      method: 'POST', path: '/api/tokens', auth: 'any',
      summary: 'Create an API token {org, role, subject?, ttl? (30d, 12h, ...) | expiresAt?}; the token is in the answer once',
      async handler(ctx) {
        const p = admin(ctx);
        const body = await readJson(ctx);
        const org = requireString(body, 'org');
        const role = requireString(body, 'role') as Role;
        if (!ROLES.includes(role)) {
          const message = `role must be one of ${ROLES.join(', ')}`;
          throw new ValidationError(message, { details: [{ code: 'INVALID_ROLE', message, field: 'role' }] });
        }
        if (!mayManage(p, org)) throw new ForbiddenError(`the token is not valid for org ${org}`);
        // After the 403, so another org's admin never learns whether the org exists; `*` is no org a revision declares.
        if (org !== PLATFORM_ORG) requireDeclaredOrg(config, org);
        if (body.subject !== undefined && typeof body.subject !== 'string') throw new BadRequestError('subject must be a string');
        const { token, info } = await tokens.create({ org, role, subject: body.subject as string | undefined, expiresAt: expiryOf(body) });
        ctx.status = 201;
        ctx.body = { token, ...info };
      },
    },
    {
      method: 'GET', path: '/api/tokens', auth: 'any',
      summary: 'List tokens (id, org, role, subject, createdAt, expiresAt, revoked); ?org= to filter. Never a token',
      async handler(ctx) {
        const p = admin(ctx);
        const asked = typeof ctx.query.org === 'string' ? ctx.query.org : undefined;
        const org = p.org === PLATFORM_ORG ? asked : p.org;
        if (asked !== undefined && !mayManage(p, asked)) throw new ForbiddenError(`the token is not valid for org ${asked}`);
        ctx.body = { items: (await tokens.list(org === undefined ? {} : { org })) };
      },
    },
    {
      method: 'DELETE', path: '/api/tokens/:id', auth: 'any',
      summary: 'Revoke a token: it is refused from then on',
      async handler(ctx) {
        const p = admin(ctx);
        const info = await tokens.get(ctx.params.id!);
        // Another org's token is "not found" to an org admin: ids of other orgs are not disclosed.
        if (!info || !mayManage(p, info.org)) throw new NotFoundError(`no token with id ${ctx.params.id}`);
        await tokens.revoke(info.id);
        ctx.body = { ...info, revoked: true };
      },
    },
  ];
}
