import type { Context } from 'koa';
import { BadRequestError, ForbiddenError, UnauthorizedError } from '../errors/index.ts';
import type { AgentPrincipal } from './approvals.ts';

const BODY_LIMIT = 1024 * 1024;
const RANK = { reader: 1, writer: 2, admin: 3 } as const;

export type AgentContext = Context & { params: Record<string, string>; state: { principal?: AgentPrincipal; body?: unknown; rawBody?: Buffer } };

/** The JSON body: the API's parsed body when it already read it, else read here (1 MiB cap). */
export async function jsonBody(ctx: AgentContext): Promise<Record<string, unknown>> {
  if (ctx.state.body && typeof ctx.state.body === 'object') return ctx.state.body as Record<string, unknown>;
  let raw = ctx.state.rawBody;
  if (!raw) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of ctx.req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > BODY_LIMIT) throw new BadRequestError(`request body exceeds ${BODY_LIMIT} bytes`);
      chunks.push(c);
    }
    raw = Buffer.concat(chunks);
    ctx.state.rawBody = raw;
  }
  if (!raw.length) return {};
  try {
    const v = JSON.parse(raw.toString('utf8')) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return (ctx.state.body = v) as Record<string, unknown>;
  } catch {
    throw new BadRequestError('the body must be a JSON object');
  }
}

/** Role check on the path's org: a token of that org (or a platform token) with at least `min`. */
export function requireRole(ctx: AgentContext, min: keyof typeof RANK): AgentPrincipal {
  const p = ctx.state.principal;
  if (!p) throw new UnauthorizedError();
  const org = ctx.params.org ?? '';
  if (p.org !== '*' && p.org !== org) throw new ForbiddenError(`the token is not valid for org ${org}`);
  if (RANK[p.role] < RANK[min]) throw new ForbiddenError(`role ${p.role} may not do this (needs ${min})`);
  return p;
}

export function bearerOf(ctx: AgentContext): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1];
}

export function str(body: Record<string, unknown>, field: string, required = true): string | undefined {
  const v = body[field];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || !v) throw new BadRequestError(`${field} must be a non-empty string`);
  return v;
}
