import { ConflictError, NotFoundError, ValidationError, WaitingError } from '../errors/index.ts';
import { API_VERSION, resolveKind, tenantNamespace, type KindDefinition, type Resource } from '../kinds/index.ts';
import { CONFLICT_STRATEGIES } from '../kinds/spec-fields.ts';
import type { StoredResource } from '../store/types.ts';
import { resolvedSpec } from './policy.ts';
import { digest, upsert, type Tx } from './records.ts';
import type { ExternalSyncDeps } from './sync.ts';

export interface ResolveRequest {
  strategy: string;
  resolvedValue?: unknown;
}

export interface ResolveResult {
  conflict: StoredResource;
  /** The commit that applied the value to a config kind; absent when the local side already had it. */
  commit?: string;
  state?: StoredResource;
}

export interface ConflictResolver {
  /**
   * Applies the strategy's value (§11.1: prefer-kradle and ignore keep local, prefer-external takes the
   * external side, manual the resolved value) to the local resource, then marks the conflict Resolved and
   * the sync state Synced. A conflict that is not Open (Resolved, Superseded) is a 409.
   */
  resolve(org: string, name: string, req: ResolveRequest, actor: string): Promise<ResolveResult>;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function checkRequest(req: ResolveRequest): void {
  if (!(CONFLICT_STRATEGIES as readonly string[]).includes(req.strategy)) {
    throw new ValidationError(`strategy must be one of ${CONFLICT_STRATEGIES.join(', ')}`, { details: [{ code: 'STRATEGY', message: `unknown strategy ${req.strategy}`, field: 'strategy' }] });
  }
  if (req.strategy === 'manual' && !isObject(req.resolvedValue)) {
    throw new ValidationError('strategy manual needs resolvedValue: the spec to keep', { details: [{ code: 'REQUIRED', message: 'resolvedValue (an object: the spec to keep) is required for manual', field: 'resolvedValue' }] });
  }
}

export function createConflictResolver(deps: ExternalSyncDeps): ConflictResolver {
  const { store } = deps;
  const now = () => (deps.clock?.() ?? new Date()).toISOString();

  async function stateOf(tx: Tx, conflict: StoredResource): Promise<StoredResource | undefined> {
    const ns = conflict.metadata.namespace;
    if (typeof conflict.spec.stateRef === 'string') return tx.resources.get('ExternalSyncState', ns, conflict.spec.stateRef);
    // Conflicts recorded before stateRef existed: the state of the same resource and provider.
    const all = (await tx.resources.list('ExternalSyncState', { namespace: ns, limit: 1000 })).items;
    return all.find((s) => digest(s.spec.resourceRef) === digest(conflict.spec.resourceRef) && s.spec.providerRef === conflict.spec.providerRef);
  }

  /** A config kind changes by one commit through the writer, and only when the value differs from Git. */
  async function commitValue(org: string, def: KindDefinition, local: Resource | undefined, doc: Resource, actor: string): Promise<string | undefined> {
    if (local && digest(local.spec) === digest(doc.spec)) return undefined;
    if (!deps.writeConfig) throw new WaitingError('write-back to the config repo is not configured on this server');
    const resource = { ...doc, metadata: { ...doc.metadata, labels: local?.metadata.labels, annotations: local?.metadata.annotations } };
    const out = await deps.writeConfig({ org, kind: def.kind, name: doc.metadata.name, resource, author: actor, message: `Resolve external sync conflict: ${def.kind} ${org}/${doc.metadata.name}` });
    return out.commit;
  }

  /** A runtime kind changes by a write guarded by the resourceVersion read (409 when it moved meanwhile). */
  async function storeValue(tx: Tx, local: StoredResource | undefined, doc: Resource, actor: string): Promise<void> {
    if (!local) return void (await tx.resources.create(doc, { actor }));
    if (digest(local.spec) === digest(doc.spec)) return;
    await tx.resources.update({ ...doc, metadata: { ...local.metadata, resourceVersion: local.metadata.resourceVersion } }, { actor });
  }

  return {
    async resolve(org, name, req, actor) {
      checkRequest(req);
      const ns = tenantNamespace(org);
      const conflict = await store.resources.get('ExternalSyncConflict', ns, name);
      if (!conflict) throw new NotFoundError(`ExternalSyncConflict ${name} not found in org ${org}`);
      const phase = String(conflict.status.phase ?? 'Open');
      if (phase !== 'Open') throw new ConflictError(`conflict ${name} is ${phase}, not Open`, { details: [{ code: 'NOT_OPEN', message: `the conflict is ${phase}`, field: 'status.phase' }] });
      const ref = conflict.spec.resourceRef as { kind?: string; name?: string } | undefined;
      const def = resolveKind(String(ref?.kind ?? ''));
      if (!def || !ref?.name) throw new ConflictError(`conflict ${name} names no resource to apply a value to`, { details: [{ code: 'NO_RESOURCE', message: 'spec.resourceRef must name {kind, name}', field: 'spec.resourceRef' }] });
      const value = resolvedSpec(req.strategy, conflict, req.resolvedValue);
      const doc: Resource = { apiVersion: API_VERSION, kind: def.kind, metadata: { name: ref.name, namespace: ns }, spec: { ...value, ...(def.orgScoped ? { organizationRef: org } : {}) } };
      const configLocal = def.storage === 'config' ? deps.desired()?.get(def.kind, org, ref.name)?.object : undefined;
      const commit = def.storage === 'config' ? await commitValue(org, def, configLocal, doc, actor) : undefined;
      return store.transaction(async (tx) => {
        if (def.storage === 'runtime') await storeValue(tx, await tx.resources.get(def.kind, ns, ref.name!), doc, actor);
        const resolved = await tx.resources.updateStatus({ ...conflict, status: { ...conflict.status, phase: 'Resolved', strategy: req.strategy, resolvedValue: value, resolvedBy: actor, resolvedAt: now(), ...(commit ? { commit } : {}) } }, { actor });
        const state = await stateOf(tx, conflict);
        const synced = state && await upsert(tx, { apiVersion: state.apiVersion, kind: state.kind, metadata: { name: state.metadata.name, namespace: ns }, spec: { ...state.spec, phase: 'Synced' } }, { phase: 'Synced', localDigest: digest(doc.spec), lastOutcome: 'resolved', lastSyncedAt: now() }, actor);
        return { conflict: resolved, ...(commit ? { commit } : {}), ...(synced ? { state: synced } : {}) };
      });
    },
  };
}
