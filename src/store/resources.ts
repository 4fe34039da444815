import { ConflictError, NotFoundError } from '../errors/index.ts';
import type { Resource } from '../kinds/index.ts';
import type { SchemaValidator } from '../schema/index.ts';
import type { Queryable } from './driver.ts';
import { checkRuntimeDoc, type ResourceRow } from './resource-input.ts';
import { listResources } from './resource-list.ts';
import { bind, DELETE, INSERT_MANY, SELECT_ONE, UPDATE, UPDATE_STATUS } from './resource-sql.ts';
import type { RuntimeResources, StoredResource, WriteContext } from './types.ts';
import type { WriteScope } from './write-scope.ts';

type DocRow = { doc: StoredResource };

const BIGINT_MAX = 9223372036854775807n;

/** Could this be a resourceVersion (a bigint)? 19 digits can still overflow one, which Postgres answers with an error, not zero rows. */
function isVersion(rv: string): boolean {
  return /^\d{1,19}$/.test(rv) && BigInt(rv) <= BIGINT_MAX;
}

/** A stale or missing resourceVersion is a conflict: the caller must re-read and retry. */
function expectedVersion(row: ResourceRow): string {
  const rv = row.resourceVersion;
  if (!rv) throw new ConflictError(`${row.kind} ${row.namespace}/${row.name}: metadata.resourceVersion is required to update`);
  if (!isVersion(rv)) throw new ConflictError(`${row.kind} ${row.namespace}/${row.name}: resourceVersion ${JSON.stringify(rv)} is not current`);
  return rv;
}

export function createResources(scope: WriteScope, validator: SchemaValidator): RuntimeResources {
  const run = (q: Queryable, sql: string, params: unknown[], actor?: string) =>
    q.query<DocRow>(bind(sql, params.length), [...params, actor ?? null, scope.channel]);

  async function getOne(q: Queryable, kind: string, namespace: string, name: string) {
    const [row] = await q.query<DocRow>(SELECT_ONE, [kind, namespace, name]);
    return row?.doc;
  }

  /** Zero rows from a guarded write: tell absent, stale and no-op apart by reading the current row. */
  async function explain(q: Queryable, row: ResourceRow, rv: string): Promise<StoredResource> {
    const current = await getOne(q, row.kind, row.namespace, row.name);
    if (!current) throw new NotFoundError(`${row.kind} ${row.namespace}/${row.name} not found`);
    if (current.metadata.resourceVersion !== rv) {
      throw new ConflictError(
        `${row.kind} ${row.namespace}/${row.name} was modified: resourceVersion is ${current.metadata.resourceVersion}, not ${rv}`,
      );
    }
    return current;
  }

  async function createMany(docs: Resource[], ctx: WriteContext = {}): Promise<StoredResource[]> {
    if (!docs.length) return [];
    const rows = docs.map((d) => checkRuntimeDoc(d, validator));
    const input = JSON.stringify(rows.map((r) => ({ ...r, api_version: r.apiVersion, resourceVersion: undefined })));
    return scope.write(async (q) => {
      const written = await run(q, INSERT_MANY, [input], ctx.actor);
      if (written.length === rows.length) return written.map((w) => w.doc);
      const made = new Set(written.map((w) => `${w.doc.kind}/${w.doc.metadata.namespace}/${w.doc.metadata.name}`));
      const taken = rows.find((r) => !made.has(`${r.kind}/${r.namespace}/${r.name}`)) ?? rows[0]!;
      // Thrown inside the write, so the rows of the batch that did insert roll back with it.
      throw new ConflictError(`${taken.kind} ${taken.namespace}/${taken.name} already exists`);
    });
  }

  return {
    async create(doc, ctx) {
      const [created] = await createMany([doc], ctx);
      return created!;
    },
    createMany,
    get: (kind, namespace, name) => getOne(scope.read, kind, namespace, name),
    list: (kind, opts = {}) => listResources(scope.read, kind, opts),
    async update(doc, ctx = {}) {
      const row = checkRuntimeDoc(doc, validator);
      const rv = expectedVersion(row);
      const params = [row.kind, row.namespace, row.name, rv, JSON.stringify(row.labels), JSON.stringify(row.annotations), JSON.stringify(row.spec)];
      return scope.write(async (q) => (await run(q, UPDATE, params, ctx.actor))[0]?.doc ?? explain(q, row, rv));
    },
    async updateStatus(doc, ctx = {}) {
      const row = checkRuntimeDoc(doc, validator);
      const rv = expectedVersion(row);
      const params = [row.kind, row.namespace, row.name, rv, JSON.stringify(row.status)];
      return scope.write(async (q) => (await run(q, UPDATE_STATUS, params, ctx.actor))[0]?.doc ?? explain(q, row, rv));
    },
    async delete(kind, namespace, name, opts = {}) {
      const rv = opts.resourceVersion;
      if (rv !== undefined && !isVersion(rv)) throw new ConflictError(`${kind} ${namespace}/${name}: resourceVersion ${JSON.stringify(rv)} is not current`);
      return scope.write(async (q) => {
        if ((await run(q, DELETE, [kind, namespace, name, rv ?? null], opts.actor)).length) return true;
        if (rv === undefined || !(await getOne(q, kind, namespace, name))) return false;
        throw new ConflictError(`${kind} ${namespace}/${name} was modified: resourceVersion ${rv} is not current`);
      });
    },
  };
}
