import { BadRequestError } from '../../errors/index.ts';
import type { ApiContext } from '../context.ts';
import type { ListQuery, WriteOptions } from '../resource-service.ts';

export function actorOf(ctx: ApiContext): WriteOptions['actor'] {
  return { subject: ctx.state.principal?.subject ?? 'anonymous' };
}

/** If-Match without quotes or weak prefix; undefined for `*` or absent. */
export function ifMatch(ctx: ApiContext): string | undefined {
  const v = ctx.get('if-match').trim();
  if (!v || v === '*') return undefined;
  return v.replace(/^W\//, '').replace(/^"|"$/g, '');
}

export function writeOptions(ctx: ApiContext): WriteOptions {
  const mode = ctx.query.mode;
  if (mode !== undefined && mode !== 'pull-request' && mode !== 'commit') {
    throw new BadRequestError('mode must be commit or pull-request');
  }
  return { expected: ifMatch(ctx), mode: mode === 'pull-request' ? 'pull-request' : 'commit', actor: actorOf(ctx) };
}

export function queryString(ctx: ApiContext, name: string): string | undefined {
  const v = ctx.query[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function listQuery(ctx: ApiContext): ListQuery {
  const raw = queryString(ctx, 'limit');
  const limit = raw === undefined ? undefined : Number(raw);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new BadRequestError('limit must be a positive integer');
  return { limit, labelSelector: queryString(ctx, 'labelSelector'), continue: queryString(ctx, 'continue') };
}

export function sendPage(ctx: ApiContext, page: { items: unknown[]; continue?: string }): void {
  ctx.body = { items: page.items, ...(page.continue ? { continue: page.continue } : {}) };
}
