import { createHash } from 'node:crypto';
import { BadRequestError, ConflictError, NotFoundError, ValidationError, WaitingError, type ErrorDetail } from '../errors/index.ts';
import { tenantNamespace, type KindDefinition, type Resource } from '../kinds/index.ts';
import type { DesiredResource } from '../loader/types.ts';
import type { InventoryEntry, ListPage } from '../store/types.ts';
import type { ApiDeps } from './deps.ts';
import { kindOf, normalizeDocument } from './documents.ts';
import { tenantNamespaceOf } from '../loader/tenant-namespace.ts';
import { labelMatcher } from '../store/index.ts';
import type { ApiMetrics } from './metrics.ts';

export interface Actor {
  subject: string;
}

export interface WriteOptions {
  /** If-Match: a config revision or a runtime resourceVersion. */
  expected?: string;
  mode?: 'commit' | 'pull-request';
  actor: Actor;
  /** Runtime kinds: refuse with 409 when the record exists, even with a resourceVersion. */
  createOnly?: boolean;
}

export interface WriteResult {
  /** unchanged: the document was already so in the config repo; no commit was made. */
  operation: 'create' | 'update' | 'delete' | 'unchanged';
  resource?: Resource;
  commit?: string;
  branch?: string;
  path?: string;
  /** Config kinds: the warnings of the written document (UNKNOWN_FIELD), positioned in its file; empty when none. */
  warnings?: ErrorDetail[];
}

export interface ListQuery {
  labelSelector?: string;
  limit?: number;
  continue?: string;
}

const MAX_LIMIT = 1000;

interface ModelObject {
  apiVersion: string;
  kind: string;
  namespace?: string | null;
  name: string;
  /** Synced, SyncFailed, Planned, or Missing (deleted from the cluster, not yet brought back). */
  sync?: string;
  health?: InventoryEntry['health'];
}

const objectKeyOf = (o: Pick<ModelObject, 'apiVersion' | 'kind' | 'namespace' | 'name'>) => `${o.apiVersion}/${o.kind}/${o.namespace ?? ''}/${o.name}`;

/** The objects of a saved status model (composeStatus: `{apiVersion, kind, namespace?, name, sync, health}`). */
function modelObjectsOf(status: Record<string, unknown> | undefined): ModelObject[] {
  return Array.isArray(status?.objects) ? (status.objects as ModelObject[]) : [];
}

/**
 * The config revision of an If-Match value (the part of our ETag before '+'). A header that names no
 * revision (`""`, `"+x"`) is a precondition that cannot hold, not an absent one: the writer would
 * read an empty revision as "no If-Match" and write unconditionally.
 */
export function expectedRevisionOf(expected: string | undefined): string | undefined {
  if (expected === undefined) return undefined;
  const revision = expected.split('+')[0]!.trim();
  if (!revision) throw new ConflictError(`If-Match ${JSON.stringify(expected)} names no revision; read the resource again`);
  return revision;
}

/**
 * A detail of the i-th document of a batch, named from the request body's root in the detail's own notation: a
 * JSON pointer (schema checks) stays one, a dotted field stays dotted.
 */
function itemField(i: number, field: string | undefined): string {
  if (field === undefined) return `items[${i}]`;
  return field.startsWith('/') ? `/items/${i}/resource${field}` : `items[${i}].resource.${field}`;
}

/** Reads and writes of Kradle resources: config kinds from desired state + Git writer, runtime kinds from the store. */
export function createResourceService(deps: ApiDeps, metrics: ApiMetrics) {
  const { store, config } = deps;

  function desired(org: string, def: KindDefinition, name: string): DesiredResource | undefined {
    return config.current()?.get(def.kind, org, name);
  }

  /** A config list's continue token is the last name served; garbage would silently restart the listing. */
  function configCursor(token: string): string {
    const name = Buffer.from(token, 'base64url').toString('utf8');
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || Buffer.from(name).toString('base64url') !== token) throw new BadRequestError('invalid continue token');
    return name;
  }

  async function list(org: string, def: KindDefinition, q: ListQuery): Promise<ListPage<Resource>> {
    const limit = Math.min(Math.max(q.limit ?? 500, 1), MAX_LIMIT);
    if (def.storage === 'runtime') {
      return store.resources.list(def.kind, { namespace: tenantNamespace(org), labelSelector: q.labelSelector, limit, continue: q.continue });
    }
    const match = labelMatcher(q.labelSelector);
    const after = q.continue ? configCursor(q.continue) : '';
    const all = (config.current()?.byOrg(org) ?? [])
      .filter((d) => d.id.kind === def.kind && d.id.name > after && match(d.object.metadata.labels ?? {}))
      .sort((a, b) => (a.id.name < b.id.name ? -1 : 1));
    const items = all.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map((d) => d.object),
      ...(all.length > limit && last ? { continue: Buffer.from(last.id.name).toString('base64url') } : {}),
    };
  }

  /** The resource and its ETag; config kinds carry their stored status, and their objects from the inventory. */
  async function get(org: string, kindName: string, name: string): Promise<{ resource: Resource; etag: string }> {
    const def = kindOf(kindName);
    if (def.storage === 'runtime') {
      const r = await store.resources.get(def.kind, tenantNamespace(org), name);
      if (!r) throw new NotFoundError(`${def.kind} ${name} not found in org ${org}`);
      return { resource: r, etag: `"${r.metadata.resourceVersion}"` };
    }
    const d = desired(org, def, name);
    if (!d) throw new NotFoundError(`${def.kind} ${name} not found in org ${org}`);
    // The persisted status model, the same on every replica; objects as the inventory recorded them, with the sync
    // and health the model has seen since: the inventory is written by passes only, the model also follows watch
    // events (a hand-deleted object is Missing until self-heal brings it back, a rollout that ended is Healthy).
    const [saved, entries] = await Promise.all([store.statuses.get(d.key), store.inventory.list({ sourceKey: d.key })]);
    const seen = new Map(modelObjectsOf(saved?.status).map((o) => [objectKeyOf(o), o]));
    const status = {
      ...saved?.status,
      revision: config.current()?.revision,
      objects: entries.map((e) => {
        const o = seen.get(objectKeyOf(e.target));
        return { target: e.target, syncStatus: o?.sync ?? e.syncStatus, health: o?.health ?? e.health, revision: e.revision };
      }),
    };
    // The revision before '+' is what If-Match sends to the writer; the digest makes status changes visible to caches.
    const digest = createHash('sha256').update(JSON.stringify(status)).digest('hex').slice(0, 12);
    return { resource: { ...d.object, status }, etag: `"${status.revision}+${digest}"` };
  }

  async function writeConfig(org: string, doc: Resource | undefined, def: KindDefinition, name: string, opts: WriteOptions) {
    if (!deps.writer) throw new WaitingError('write-back to the config repo is not configured on this server');
    // The loaded state may not hold a commit that was just written (the sync picks it up a moment later):
    // whether a deleted resource exists is the writer's to say, from the branch tip, else a create followed
    // at once by a delete is a 404.
    const existed = Boolean(desired(org, def, name));
    try {
      const out = await deps.writer.write({
        operation: doc ? 'apply' : 'delete',
        org,
        kind: def.kind,
        name,
        resource: doc,
        expectedRevision: expectedRevisionOf(opts.expected),
        mode: opts.mode ?? 'commit',
        author: { name: opts.actor.subject },
      });
      const warnings = out.warnings ?? [];
      if (out.changed === false) return { operation: 'unchanged', resource: doc, commit: out.commit, branch: out.branch, path: out.path, warnings } satisfies WriteResult;
      metrics.writebackCommits.inc();
      const created = out.created ?? !existed;
      const operation = doc ? (created ? 'create' : 'update') : 'delete';
      return { operation, resource: doc, commit: out.commit, branch: out.branch, path: out.path, warnings } satisfies WriteResult;
    } catch (err) {
      if (err instanceof ConflictError) metrics.writebackConflicts.inc();
      throw err;
    }
  }

  async function writeRuntime(doc: Resource, opts: WriteOptions): Promise<WriteResult> {
    const ns = doc.metadata.namespace!;
    const current = await store.resources.get(doc.kind, ns, doc.metadata.name);
    const ctx = { actor: opts.actor.subject };
    if (!current) return { operation: 'create', resource: await store.resources.create(doc, ctx) };
    if (opts.createOnly) throw new ConflictError(`${doc.kind} ${doc.metadata.name} already exists`);
    const rv = opts.expected ?? doc.metadata.resourceVersion;
    if (!rv) throw new ConflictError(`${doc.kind} ${doc.metadata.name} exists; send If-Match or metadata.resourceVersion to update it`);
    const updated = await store.resources.update({ ...doc, metadata: { ...doc.metadata, resourceVersion: rv } }, ctx);
    return { operation: 'update', resource: updated };
  }

  async function apply(org: string, body: Record<string, unknown>, opts: WriteOptions & { kind?: string }): Promise<WriteResult> {
    const doc = normalizeDocument(org, body, opts.kind, tenantNamespaceOf(deps.config.current(), org));
    const def = kindOf(doc.kind);
    const result = def.storage === 'config' ? await writeConfig(org, doc, def, doc.metadata.name, opts) : await writeRuntime(doc, opts);
    await audit(org, opts.actor, 'apply', doc.kind, doc.metadata.name, result.operation);
    return result;
  }

  /**
   * Several config documents of one org as ONE commit, validated as one revision: every document is checked
   * first (422 naming each `items[i]`), then the writer commits all of them or none.
   */
  async function applyMany(org: string, items: { resource: Record<string, unknown>; source?: string }[], opts: WriteOptions) {
    if (!deps.writer) throw new WaitingError('write-back to the config repo is not configured on this server');
    if (!deps.writer.writeMany) throw new WaitingError('multi-document write-back to the config repo is not configured on this server');
    const details: { code: string; message: string; field?: string }[] = [];
    const docs: Resource[] = [];
    items.forEach((item, i) => {
      try {
        const doc = normalizeDocument(org, item.resource, undefined, tenantNamespaceOf(deps.config.current(), org));
        if (kindOf(doc.kind).storage !== 'config') throw new BadRequestError(`${doc.kind} is a runtime kind: apply it with POST /api/orgs/${org}/resources`);
        docs.push(doc);
      } catch (err) {
        const e = err as { message: string; code?: string; details?: { code: string; message: string; field?: string }[] };
        for (const d of e.details?.length ? e.details : [{ code: e.code ?? 'INVALID', message: e.message }]) details.push({ ...d, field: itemField(i, d.field) });
      }
    });
    if (details.length) throw new ValidationError(`${details.length} invalid field(s) in the documents; nothing was written`, { details });
    try {
      const out = await deps.writer.writeMany({
        org, mode: opts.mode ?? 'commit', author: { name: opts.actor.subject }, expectedRevision: expectedRevisionOf(opts.expected),
        edits: docs.map((d, i) => ({ operation: 'apply', kind: d.kind, name: d.metadata.name, resource: d, source: items[i]!.source })),
      });
      if (out.changed) metrics.writebackCommits.inc();
      const results = docs.map((d, i) => {
        const item = out.items[i]!;
        const operation = !item.changed ? 'unchanged' : item.created ? 'create' : 'update';
        return { kind: d.kind, name: d.metadata.name, path: item.path, operation };
      });
      for (const r of results) await audit(org, opts.actor, 'apply', r.kind, r.name, r.operation);
      // A proposal names the branch it is to be compared with, for its preview.
      const base = out.changed && opts.mode === 'pull-request' ? deps.syncedBranch?.() : undefined;
      return { commit: out.commit, branch: out.changed ? out.branch : (deps.syncedBranch?.() ?? out.branch), changed: out.changed, items: results, ...(base ? { base } : {}), warnings: out.warnings ?? [] };
    } catch (err) {
      if (err instanceof ConflictError) metrics.writebackConflicts.inc();
      throw err;
    }
  }

  async function remove(org: string, kindName: string, name: string, opts: WriteOptions): Promise<WriteResult> {
    const def = kindOf(kindName);
    let result: WriteResult;
    if (def.storage === 'config') result = await writeConfig(org, undefined, def, name, opts);
    else {
      const ok = await store.resources.delete(def.kind, tenantNamespace(org), name, { resourceVersion: opts.expected, actor: opts.actor.subject });
      if (!ok) throw new NotFoundError(`${def.kind} ${name} not found in org ${org}`);
      result = { operation: 'delete' };
    }
    await audit(org, opts.actor, 'delete', def.kind, name, 'delete');
    return result;
  }

  async function audit(org: string, actor: Actor, action: string, kind: string, name: string, outcome: string) {
    await store.audit.append({ org, actor: actor.subject, action, resource: { kind, namespace: tenantNamespace(org), name }, outcome, digest: null });
  }

  return { list, get, apply, applyMany, remove, audit };
}

export type ResourceService = ReturnType<typeof createResourceService>;
