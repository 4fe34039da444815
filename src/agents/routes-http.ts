import type { Context } from 'koa';
import { readJson } from '../api/body.ts';
import type { ApiContext } from '../api/context.ts';
import { BadRequestError, ForbiddenError, UnauthorizedError } from '../errors/index.ts';
import type { AgentPrincipal } from './approvals.ts';

const RANK = { reader: 1, writer: 2, admin: 3 } as const;

export type AgentContext = Context & { params: Record<string, string>; state: { principal?: AgentPrincipal; body?: unknown; rawBody?: Buffer } };

/**
 * The JSON body through the API's one body reader: the same 413 over 1 MiB, 415 for another media type,
 * and depth and NUL checks as every other route. Cached, so a route and its checks read it once.
 */
export async function jsonBody(ctx: AgentContext): Promise<Record<string, unknown>> {
  if (ctx.state.body && typeof ctx.state.body === 'object') return ctx.state.body as Record<string, unknown>;
  return (ctx.state.body = await readJson(ctx as unknown as ApiContext));
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
