import { NotFoundError, WaitingError } from '../errors/index.ts';
import { tenantNamespace, type KindDefinition, type Resource } from '../kinds/index.ts';
import type { DesiredState } from '../loader/types.ts';
import type { Store, StoredResource } from '../store/types.ts';
import { decideIncoming, policyOf, type Outcome } from './policy.ts';
import { digest, recordName, stateName, upsert, type ConfigWrite, type Envelope, type Tx } from './records.ts';

export interface ExternalSyncDeps {
  store: Store;
  desired: () => DesiredState | undefined;
  /** Absent: an inbound change to a config kind is refused (503), never written to the store. */
  writeConfig?: ConfigWrite;
  clock?: () => Date;
}

/** One inbound change, already checked: the document as the external side has it now. */
export interface SyncInput {
  bindingName: string;
  def: KindDefinition;
  incoming: Resource;
  envelope: Envelope;
}

export interface SyncResult {
  outcome: Outcome;
  reason?: string;
  commit?: string;
  path?: string;
  state: StoredResource;
  link?: string;
  event: string;
  conflict?: string;
}

export interface ExternalSync {
  /** §11 inbound sync: stale versions ignored, conflicts recorded, config kinds committed, runtime kinds stored. */
  sync(org: string, input: SyncInput, actor: string): Promise<SyncResult>;
}

/** Versions compare as numbers when both are numeric, else as strings (RFC 3339 timestamps sort as text). */
function newer(a: number | string, b: unknown): boolean {
  if (b === undefined || b === null) return true;
  const [x, y] = [Number(a), Number(b)];
  return Number.isFinite(x) && Number.isFinite(y) && String(b) !== '' ? x > y : String(a) > String(b);
}

export function createExternalSync(deps: ExternalSyncDeps): ExternalSync {
  const { store } = deps;
  const now = () => (deps.clock?.() ?? new Date()).toISOString();

  async function localOf(org: string, def: KindDefinition, name: string): Promise<Resource | undefined> {
    if (def.storage === 'config') return deps.desired()?.get(def.kind, org, name)?.object;
    return store.resources.get(def.kind, tenantNamespace(org), name);
  }

  /** Config kinds change only by commit; runtime kinds in the caller's transaction. */
  async function commitIncoming(org: string, def: KindDefinition, incoming: Resource, local: Resource | undefined, actor: string) {
    if (def.storage === 'runtime') return undefined;
    if (!deps.writeConfig) throw new WaitingError('write-back to the config repo is not configured on this server');
    const resource = { ...incoming, metadata: { ...incoming.metadata, labels: local?.metadata.labels, annotations: local?.metadata.annotations } };
    return deps.writeConfig({ org, kind: def.kind, name: incoming.metadata.name, resource, author: actor, message: `External sync: ${def.kind} ${org}/${incoming.metadata.name}` });
  }

  return {
    async sync(org, { bindingName, def, incoming, envelope }, actor) {
      const binding = deps.desired()?.get('ExternalBackendBinding', org, bindingName);
      if (!binding) throw new NotFoundError(`ExternalBackendBinding ${bindingName} not found in org ${org}`);
      const providerRef = binding.object.spec.providerRef;
      const ns = tenantNamespace(org);
      const localName = incoming.metadata.name;
      const resourceRef = { kind: def.kind, name: localName };
      const name = stateName(bindingName, def.plural, localName);
      const state = await store.resources.get('ExternalSyncState', ns, name);
      const base = { apiVersion: incoming.apiVersion, metadata: { namespace: ns } };
      const event = (eventKind: string, extra: Record<string, unknown>) => ({ ...base, kind: 'ExternalSyncEvent', metadata: { ...base.metadata, name: recordName(name, String(envelope.version), Date.now().toString(36), Math.random().toString(36).slice(2, 8)) }, spec: { organizationRef: org, providerRef, bindingRef: bindingName, eventKind, resourceRef, externalId: envelope.id, externalVersion: envelope.version, ...extra } });

      if (state && !newer(envelope.version, state.status.externalVersion)) {
        const ignored = await store.resources.create(event('Ignored', { reason: 'stale-version', recordedVersion: state.status.externalVersion }), { actor });
        return { outcome: 'ignored', reason: `version ${envelope.version} is not newer than ${String(state.status.externalVersion)}`, event: ignored.metadata.name, state };
      }
      const local = await localOf(org, def, localName);
      const outcome = decideIncoming(local, incoming, state, policyOf(deps.desired(), org, providerRef));
      const commit = outcome === 'applied' ? await commitIncoming(org, def, incoming, local, actor) : undefined;
      const result = await store.transaction(async (tx) => {
        let conflict: StoredResource | undefined;
        if (outcome === 'applied' && def.storage === 'runtime') {
          await upsert(tx, { ...incoming, metadata: { ...incoming.metadata, labels: local?.metadata.labels, annotations: local?.metadata.annotations } }, {}, actor);
        }
        if (outcome === 'conflict') conflict = await openConflict(tx, { org, providerRef, bindingName, stateName: name, resourceRef, local: local!, incoming, envelope, base, actor, at: now() });
        // A conflict leaves the last agreed digest in place, so the local edit stays "changed since the last sync".
        const localDigest = outcome === 'conflict' ? state?.status.localDigest ?? null : digest((outcome === 'applied' ? incoming : local!).spec);
        const phase = outcome === 'conflict' ? 'Conflict' : 'Synced';
        const stateDoc = await upsert(tx, { ...base, kind: 'ExternalSyncState', metadata: { ...base.metadata, name }, spec: { organizationRef: org, providerRef, bindingRef: bindingName, resourceRef, phase } }, { phase, externalVersion: envelope.version, externalId: envelope.id, localDigest, lastSyncedAt: now(), lastOutcome: outcome }, actor);
        const link = await upsert(tx, { ...base, kind: 'ExternalObjectLink', metadata: { ...base.metadata, name: recordName(bindingName, def.plural, envelope.id) }, spec: { organizationRef: org, providerRef, bindingRef: bindingName, externalId: envelope.id, localRef: resourceRef } }, { linkedAt: now() }, actor);
        const ev = await tx.resources.create(event(outcome === 'conflict' ? 'Conflict' : 'Upsert', { outcome, ...(conflict ? { conflictRef: conflict.metadata.name } : {}) }), { actor });
        return { state: stateDoc, link: link.metadata.name, event: ev.metadata.name, conflict: conflict?.metadata.name };
      });
      return { outcome, ...(commit ? { commit: commit.commit, path: commit.path } : {}), ...result };
    },
  };
}

interface ConflictInput {
  org: string;
  providerRef: unknown;
  bindingName: string;
  stateName: string;
  resourceRef: { kind: string; name: string };
  local: Resource;
  incoming: Resource;
  envelope: Envelope;
  base: { apiVersion: string; metadata: { namespace: string } };
  actor: string;
  at: string;
}

/** A new Open conflict; earlier Open ones of the same resource become Superseded (§11.2). */
async function openConflict(tx: Tx, c: ConflictInput): Promise<StoredResource> {
  const same = (x: StoredResource) => digest(x.spec.resourceRef) === digest(c.resourceRef) && (x.status.phase ?? 'Open') === 'Open';
  const open = (await tx.resources.list('ExternalSyncConflict', { namespace: c.base.metadata.namespace, limit: 1000 })).items.filter(same);
  const name = recordName('conflict', c.resourceRef.kind, c.resourceRef.name, String(c.envelope.version));
  for (const x of open) await tx.resources.updateStatus({ ...x, status: { ...x.status, phase: 'Superseded', supersededBy: name } }, { actor: c.actor });
  const doc = { ...c.base, kind: 'ExternalSyncConflict', metadata: { ...c.base.metadata, name }, spec: { organizationRef: c.org, providerRef: c.providerRef, bindingRef: c.bindingName, stateRef: c.stateName, resourceRef: c.resourceRef, conflictKind: 'concurrent-update', externalId: c.envelope.id, externalVersion: c.envelope.version, local: c.local.spec, external: c.incoming.spec } };
  const created = await tx.resources.create(doc, { actor: c.actor });
  return tx.resources.updateStatus({ ...created, status: { phase: 'Open', detectedAt: c.at } }, { actor: c.actor });
}
