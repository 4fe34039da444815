import { BadRequestError } from '../errors/index.ts';
import type { Queryable } from './driver.ts';
import { labelSelectorSql, parseLabelSelector } from './label-selector.ts';
import type { ListOptions, ListPage, StoredResource } from './types.ts';

const MAX_LIMIT = 10_000;

/** The token is the last key of the page: the next page starts strictly after it (keyset paging). */
function encodeToken(namespace: string, name: string): string {
  return Buffer.from(JSON.stringify([namespace, name])).toString('base64url');
}

function decodeToken(token: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    // A hand-made token may hold a NUL, which Postgres text refuses with an error rather than no rows.
    if (Array.isArray(v) && v.length === 2 && v.every((s) => typeof s === 'string' && !s.includes('\u0000'))) return v as [string, string];
  } catch {
    // fall through to the error below
  }
  throw new BadRequestError('invalid continue token');
}

function checkLimit(limit: number | undefined): number | undefined {
  if (limit === undefined) return undefined;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new BadRequestError(`limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  return limit;
}

/** Lists one kind, ordered by namespace then name, filtered by namespace and label selector. */
export async function listResources(q: Queryable, kind: string, opts: ListOptions): Promise<ListPage<StoredResource>> {
  const limit = checkLimit(opts.limit);
  const params: unknown[] = [kind];
  const where = ['r.kind = $1'];
  if (opts.namespace !== undefined) where.push(`r.namespace = $${params.push(opts.namespace)}`);
  where.push(...labelSelectorSql(parseLabelSelector(opts.labelSelector), params, 'r.labels'));
  if (opts.continue) {
    const [ns, name] = decodeToken(opts.continue);
    where.push(`(r.namespace, r.name) > ($${params.push(ns)}::text, $${params.push(name)}::text)`);
  }
  const limitSql = limit === undefined ? '' : `LIMIT $${params.push(limit + 1)}`;
  const rows = await q.query<{ doc: StoredResource }>(
    `SELECT kradle_resource_doc(r) AS doc FROM runtime_resources AS r
     WHERE ${where.join(' AND ')} ORDER BY r.namespace, r.name ${limitSql}`,
    params,
  );
  const items = rows.map((r) => r.doc);
  if (limit === undefined || items.length <= limit) return { items };
  items.length = limit;
  const lastItem = items[limit - 1]!;
  return { items, continue: encodeToken(lastItem.metadata.namespace, lastItem.metadata.name) };
}
