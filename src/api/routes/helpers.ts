import { BadRequestError, NotFoundError } from '../../errors/index.ts';
import type { ApiContext } from '../context.ts';
import type { ConfigPort } from '../deps.ts';
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
  // `?kind=A&kind=B` is ambiguous; read as absent it would silently widen a list to every kind.
  if (Array.isArray(v)) throw new BadRequestError(`query parameter ${name} is given ${v.length} times; give it once`);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** An integer query parameter, 400 when it is not one (a NaN or a fraction would reach SQL as LIMIT/OFFSET). */
export function intQuery(ctx: ApiContext, name: string, min: number): number | undefined {
  const raw = queryString(ctx, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw new BadRequestError(`${name} must be an integer of at least ${min}`);
  return n;
}

/** A timestamp query parameter as ISO 8601, 400 when it does not parse (Postgres would fail the cast with a 500). */
export function timeQuery(ctx: ApiContext, name: string): string | undefined {
  const raw = queryString(ctx, name);
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw new BadRequestError(`${name} must be a timestamp (RFC 3339)`);
  return new Date(ms).toISOString();
}

export function listQuery(ctx: ApiContext): ListQuery {
  return { limit: intQuery(ctx, 'limit', 1), labelSelector: queryString(ctx, 'labelSelector'), continue: queryString(ctx, 'continue') };
}

export function sendPage(ctx: ApiContext, page: { items: unknown[]; continue?: string }): void {
  ctx.body = { items: page.items, ...(page.continue ? { continue: page.continue } : {}) };
}

/**
 * An org the loaded revision does not declare has nothing to read: NOT_FOUND, not an empty answer a platform token
 * could mistake for a real org's. Before any revision is loaded the answers say so themselves (revision null).
 */
export function requireDeclaredOrg(config: ConfigPort, org: string): void {
  const state = config.current();
  if (state && !state.orgs().includes(org)) throw new NotFoundError(`organization ${org} not found`);
}
