import { createHash } from 'node:crypto';
import { BadRequestError, NotFoundError, ValidationError, WaitingError } from '../../errors/index.ts';
import { normalizeName, tenantNamespace, type KindDefinition, type Resource } from '../../kinds/index.ts';
import type { Store, StoredResource } from '../../store/types.ts';
import { readJson, requireString } from '../body.ts';
import type { ApiContext, RouteDef } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import { kindOf, normalizeDocument } from '../documents.ts';
import { actorOf } from './helpers.ts';

type Outcome = 'applied' | 'in-sync' | 'kept-local' | 'conflict' | 'ignored';
type Tx = Parameters<Parameters<Store['transaction']>[0]>[0];

interface Envelope {
  id: string;
  version: number | string;
}

const canonical = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(canonical).join(',')}]`
    : v && typeof v === 'object' ? `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`
      : JSON.stringify(v ?? null);
const digest = (v: unknown) => createHash('sha256').update(canonical(v)).digest('hex').slice(0, 16);

/** Versions compare as numbers when both are numeric, else as strings (RFC 3339 timestamps sort as text). */
function newer(a: number | string, b: unknown): boolean {
  if (b === undefined || b === null) return true;
  const [x, y] = [Number(a), Number(b)];
  return Number.isFinite(x) && Number.isFinite(y) && String(b) !== '' ? x > y : String(a) > String(b);
}

function envelopeOf(body: Record<string, unknown>): Envelope {
  const e = body.externalEnvelope as Record<string, unknown> | undefined;
  const okVersion = (v: unknown) => (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v !== '');
  if (!e || typeof e !== 'object' || typeof e.id !== 'string' || e.id === '' || !okVersion(e.version)) {
    throw new ValidationError('externalEnvelope needs {id, version}', { details: [{ code: 'REQUIRED', message: 'externalEnvelope.id (string) and externalEnvelope.version (number or string) are required', field: 'externalEnvelope' }] });
  }
  return { id: e.id, version: e.version as number | string };
}

/** A name of at most 63 characters that stays unique for long inputs. */
const recordName = (...parts: string[]) => normalizeName(`${parts.map((p) => p.slice(0, 18)).join('-')}-${digest(parts)}`.slice(0, 63));

async function upsert(tx: Tx, doc: Resource, status: Record<string, unknown>, actor: string): Promise<StoredResource> {
  const current = await tx.resources.get(doc.kind, doc.metadata.namespace!, doc.metadata.name);
  const written = current
    ? await tx.resources.update({ ...doc, metadata: { ...doc.metadata, resourceVersion: current.metadata.resourceVersion } }, { actor })
    : await tx.resources.create(doc, { actor });
  return tx.resources.updateStatus({ ...written, status: { ...written.status, ...status } }, { actor });
}

/** POST /api/orgs/:org/external/sync (spec §2.1 #34, §11): upsert a resource from an external backend. */
export function externalSyncRoutes(deps: ApiDeps): RouteDef[] {
  const { store, config } = deps;
  const now = () => (deps.clock?.now() ?? new Date()).toISOString();

  async function localSpec(org: string, def: KindDefinition, name: string) {
    if (def.storage === 'config') return config.current()?.get(def.kind, org, name)?.object;
    return store.resources.get(def.kind, tenantNamespace(org), name);
  }

  function policyOf(org: string, providerRef: unknown): string {
    const p = (config.current()?.byOrg(org) ?? []).find((d) => d.id.kind === 'ExternalBackendSyncPolicy' && d.object.spec.providerRef === providerRef);
    return String(p?.object.spec.conflictResolution ?? 'manual');
  }

  async function decide(ctx: ApiContext, org: string, local: Resource | undefined, incoming: Resource, state: StoredResource | undefined, providerRef: unknown): Promise<Outcome> {
    if (!local) return 'applied';
    if (digest(local.spec) === digest(incoming.spec)) return 'in-sync';
    // The local side did not change since the last sync: the external change is simply newer.
    if (state && state.status.localDigest === digest(local.spec)) return 'applied';
    const policy = policyOf(org, providerRef);
    if (policy === 'prefer-external') return 'applied';
    if (policy === 'prefer-kradle' || policy === 'ignore') return 'kept-local';
    ctx.state.log.info({ kind: incoming.kind, name: incoming.metadata.name }, 'external sync conflict');
    return 'conflict';
  }

  /** Config kinds change only by commit; runtime kinds in the caller's transaction. */
  async function applyIncoming(ctx: ApiContext, org: string, def: KindDefinition, incoming: Resource, local: Resource | undefined) {
    if (def.storage === 'runtime') return undefined;
    if (!deps.writer) throw new WaitingError('write-back to the config repo is not configured on this server');
    const doc = { ...incoming, metadata: { ...incoming.metadata, labels: local?.metadata.labels, annotations: local?.metadata.annotations } };
    return deps.writer.write({ operation: 'apply', org, kind: def.kind, name: incoming.metadata.name, resource: doc, mode: 'commit', author: { name: actorOf(ctx).subject }, message: `External sync: ${def.kind} ${org}/${incoming.metadata.name}` });
  }

  return [
    {
      method: 'POST', path: '/api/orgs/:org/external/sync', auth: 'org-write',
      summary: 'Upsert from an external backend {bindingName, kind, localName, spec, externalEnvelope:{id, version}}: stale versions ignored, conflicts recorded (§11), config kinds committed',
      async handler(ctx) {
        const org = ctx.params.org!;
        const body = await readJson(ctx);
        const bindingName = requireString(body, 'bindingName');
        const def = kindOf(requireString(body, 'kind'));
        const localName = requireString(body, 'localName');
        if (!body.spec || typeof body.spec !== 'object' || Array.isArray(body.spec)) throw new BadRequestError('spec must be an object', { details: [{ code: 'SHAPE', message: 'spec must be an object', field: 'spec' }] });
        const envelope = envelopeOf(body);
        const binding = config.current()?.get('ExternalBackendBinding', org, bindingName);
        if (!binding) throw new NotFoundError(`ExternalBackendBinding ${bindingName} not found in org ${org}`);
        const providerRef = binding.object.spec.providerRef;
        const incoming = normalizeDocument(org, { kind: def.kind, metadata: { name: localName }, spec: body.spec });
        const ns = tenantNamespace(org);
        const resourceRef = { kind: def.kind, name: localName };
        const stateName = recordName(bindingName, def.plural, localName);
        const state = await store.resources.get('ExternalSyncState', ns, stateName);
        const actor = actorOf(ctx).subject;
        const base = { apiVersion: incoming.apiVersion, metadata: { namespace: ns } };
        const event = (eventKind: string, extra: Record<string, unknown>) => ({ ...base, kind: 'ExternalSyncEvent', metadata: { ...base.metadata, name: recordName(stateName, String(envelope.version), Date.now().toString(36), Math.random().toString(36).slice(2, 8)) }, spec: { organizationRef: org, providerRef, bindingRef: bindingName, eventKind, resourceRef, externalId: envelope.id, externalVersion: envelope.version, ...extra } });

        if (state && !newer(envelope.version, state.status.externalVersion)) {
          const ignored = await store.resources.create(event('Ignored', { reason: 'stale-version', recordedVersion: state.status.externalVersion }), { actor });
          ctx.body = { outcome: 'ignored', reason: `version ${envelope.version} is not newer than ${String(state.status.externalVersion)}`, event: ignored.metadata.name, state };
          return;
        }
        const local = await localSpec(org, def, localName);
        const outcome = await decide(ctx, org, local, incoming, state, providerRef);
        const commit = outcome === 'applied' ? await applyIncoming(ctx, org, def, incoming, local) : undefined;
        const result = await store.transaction(async (tx) => {
          let conflict: StoredResource | undefined;
          if (outcome === 'applied' && def.storage === 'runtime') {
            await upsert(tx, { ...incoming, metadata: { ...incoming.metadata, labels: local?.metadata.labels, annotations: local?.metadata.annotations } }, {}, actor);
          }
          if (outcome === 'conflict') conflict = await openConflict(tx, { org, providerRef, resourceRef, local: local!, incoming, envelope, base, actor });
          // A conflict leaves the last agreed digest in place, so the local edit stays "changed since the last sync".
          const localDigest = outcome === 'conflict' ? state?.status.localDigest ?? null : digest((outcome === 'applied' ? incoming : local!).spec);
          const phase = outcome === 'conflict' ? 'Conflict' : 'Synced';
          const stateDoc = await upsert(tx, { ...base, kind: 'ExternalSyncState', metadata: { ...base.metadata, name: stateName }, spec: { organizationRef: org, providerRef, bindingRef: bindingName, resourceRef, phase } }, { phase, externalVersion: envelope.version, externalId: envelope.id, localDigest, lastSyncedAt: now(), lastOutcome: outcome }, actor);
          const link = await upsert(tx, { ...base, kind: 'ExternalObjectLink', metadata: { ...base.metadata, name: recordName(bindingName, def.plural, envelope.id) }, spec: { organizationRef: org, providerRef, bindingRef: bindingName, externalId: envelope.id, localRef: resourceRef } }, { linkedAt: now() }, actor);
          const ev = await tx.resources.create(event(outcome === 'conflict' ? 'Conflict' : 'Upsert', { outcome, ...(conflict ? { conflictRef: conflict.metadata.name } : {}) }), { actor });
          return { state: stateDoc, link: link.metadata.name, event: ev.metadata.name, conflict: conflict?.metadata.name };
        });
        ctx.body = { outcome, ...(commit ? { commit: commit.commit, path: commit.path } : {}), ...result };
      },
    },
  ];
}

interface ConflictInput {
  org: string;
  providerRef: unknown;
  resourceRef: { kind: string; name: string };
  local: Resource;
  incoming: Resource;
  envelope: Envelope;
  base: { apiVersion: string; metadata: { namespace: string } };
  actor: string;
}

/** A new Open conflict; earlier Open ones of the same resource become Superseded (§11.2). */
async function openConflict(tx: Tx, c: ConflictInput): Promise<StoredResource> {
  const open = (await tx.resources.list('ExternalSyncConflict', { namespace: c.base.metadata.namespace, limit: 1000 })).items
    .filter((x) => canonical(x.spec.resourceRef) === canonical(c.resourceRef) && (x.status.phase ?? 'Open') === 'Open');
  const name = recordName('conflict', c.resourceRef.kind, c.resourceRef.name, String(c.envelope.version));
  for (const x of open) await tx.resources.updateStatus({ ...x, status: { ...x.status, phase: 'Superseded', supersededBy: name } }, { actor: c.actor });
  const doc = { ...c.base, kind: 'ExternalSyncConflict', metadata: { ...c.base.metadata, name }, spec: { organizationRef: c.org, providerRef: c.providerRef, resourceRef: c.resourceRef, conflictKind: 'concurrent-update', externalId: c.envelope.id, externalVersion: c.envelope.version, local: c.local.spec, external: c.incoming.spec } };
  const created = await tx.resources.create(doc, { actor: c.actor });
  return tx.resources.updateStatus({ ...created, status: { phase: 'Open', detectedAt: new Date().toISOString() } }, { actor: c.actor });
}
