import { BadRequestError, ValidationError, WaitingError, type ErrorDetail } from '../../errors/index.ts';
import { listKinds, tenantNamespace, type Resource } from '../../kinds/index.ts';
import type { Store, StoredResource } from '../../store/types.ts';
import { readJson } from '../body.ts';
import type { RouteDef } from '../context.ts';
import { tenantNamespaceOf } from '../../loader/tenant-namespace.ts';
import type { ApiDeps } from '../deps.ts';
import { kindOf, normalizeDocument } from '../documents.ts';
import { expectedRevisionOf } from '../resource-service.ts';
import { actorOf, writeOptions } from './helpers.ts';

const MAX_DOCUMENTS = 5000;

async function runtimeOf(store: Store, org: string): Promise<StoredResource[]> {
  const out: StoredResource[] = [];
  for (const def of listKinds('runtime')) {
    let cont: string | undefined;
    do {
      const page = await store.resources.list(def.kind, { namespace: tenantNamespace(org), limit: 1000, continue: cont });
      out.push(...page.items);
      cont = page.continue;
    } while (cont);
  }
  return out;
}

function documents(body: Record<string, unknown>, field: 'config' | 'runtime'): Record<string, unknown>[] {
  const v = body[field] ?? [];
  if (!Array.isArray(v) || v.some((d) => d === null || typeof d !== 'object' || Array.isArray(d))) {
    throw new BadRequestError(`${field} must be an array of resource objects`, { details: [{ code: 'SHAPE', message: 'expected an array of objects', field }] });
  }
  return v as Record<string, unknown>[];
}

/** Every document normalized to the org and to the storage of its list; problems collected into `details`. */
function normalizeAll(org: string, orgNamespace: string, docs: Record<string, unknown>[], storage: 'config' | 'runtime', details: ErrorDetail[]): Resource[] {
  const out: Resource[] = [];
  // Two documents of one kind and name would be written in turn and only the last kept: refused instead.
  const first = new Map<string, number>();
  docs.forEach((d, i) => {
    try {
      const def = kindOf(d.kind);
      if (def.storage !== storage) throw new BadRequestError(`${def.kind} is a ${def.storage} kind`, { details: [{ code: 'WRONG_STORAGE', message: `${def.kind} belongs in ${def.storage}`, field: 'kind' }] });
      // Runtime records keep their status; server-set metadata is the store's to assign.
      const meta = (d.metadata ?? {}) as Record<string, unknown>;
      const doc = normalizeDocument(org, { ...d, metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels, annotations: meta.annotations } }, undefined, orgNamespace);
      const key = `${doc.kind}/${doc.metadata.name}`;
      const seen = first.get(key);
      if (seen !== undefined) {
        details.push({ code: 'DUPLICATE_RESOURCE', message: `${key} is also ${storage}[${seen}]`, field: `${storage}[${i}]` });
        return;
      }
      first.set(key, i);
      out.push(doc);
    } catch (err) {
      const e = err as { message: string; details?: ErrorDetail[] };
      for (const x of e.details?.length ? e.details : [{ code: 'INVALID', message: e.message }]) details.push({ ...x, field: `${storage}[${i}]${x.field ? `.${x.field}` : ''}` });
    }
  });
  return out;
}

/** GET/POST /api/orgs/:org/snapshot (spec §2.1 #13, #14): an org's config and runtime records, exported or imported whole. */
export function snapshotRoutes(deps: ApiDeps): RouteDef[] {
  const { store, config } = deps;
  return [
    {
      method: 'GET', path: '/api/orgs/:org/snapshot', auth: 'org-read',
      summary: "The org's snapshot: config resources of the loaded revision and every runtime record of the store",
      async handler(ctx) {
        const org = ctx.params.org!;
        const state = config.current();
        ctx.body = { org, revision: state?.revision ?? null, config: (state?.byOrg(org) ?? []).map((d) => d.object), runtime: await runtimeOf(store, org) };
      },
    },
    {
      method: 'POST', path: '/api/orgs/:org/snapshot', auth: 'org-write',
      summary: 'Import a snapshot {config, runtime}: config documents as ONE validated commit (422, no commit when invalid), runtime records in one transaction',
      async handler(ctx) {
        const org = ctx.params.org!;
        const body = await readJson(ctx);
        const opts = writeOptions(ctx);
        const [cfgIn, rtIn] = [documents(body, 'config'), documents(body, 'runtime')];
        if (cfgIn.length + rtIn.length > MAX_DOCUMENTS) throw new BadRequestError(`a snapshot holds at most ${MAX_DOCUMENTS} documents`);
        const details: ErrorDetail[] = [];
        const orgNamespace = tenantNamespaceOf(config.current(), org);
        const cfg = normalizeAll(org, orgNamespace, cfgIn, 'config', details);
        const rt = normalizeAll(org, orgNamespace, rtIn, 'runtime', details);
        if (details.length) throw new ValidationError(`the snapshot has ${details.length} invalid document field(s)`, { details });
        if (cfg.length && !deps.writer?.writeMany) throw new WaitingError('multi-document write-back to the config repo is not configured on this server');
        const actor = actorOf(ctx).subject;
        const expectedRevision = expectedRevisionOf(opts.expected);
        // The runtime records are written first in a transaction that the config commit closes: a rejected
        // commit rolls them back, so nothing of the snapshot is half-applied.
        const result = await store.transaction(async (tx) => {
          const runtime = { created: 0, updated: 0 };
          for (const doc of rt) {
            const current = await tx.resources.get(doc.kind, doc.metadata.namespace!, doc.metadata.name);
            const written = current
              ? await tx.resources.update({ ...doc, metadata: { ...doc.metadata, resourceVersion: current.metadata.resourceVersion } }, { actor })
              : await tx.resources.create(doc, { actor });
            if (doc.status) await tx.resources.updateStatus({ ...written, status: doc.status }, { actor });
            runtime[current ? 'updated' : 'created']++;
          }
          const commit = cfg.length
            ? await deps.writer!.writeMany!({ org, edits: cfg.map((d) => ({ operation: 'apply', kind: d.kind, name: d.metadata.name, resource: d })), mode: opts.mode ?? 'commit', author: { name: actor }, message: `Import snapshot of ${org} (${cfg.length} config resources)`, expectedRevision })
            : null;
          return { runtime, config: commit };
        });
        await store.audit.append({ org, actor, action: 'import-snapshot', resource: null, outcome: `config ${cfg.length}, runtime ${rt.length}`, digest: null });
        ctx.body = { org, ...result };
      },
    },
  ];
}
