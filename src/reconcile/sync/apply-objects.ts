import { PRUNE_ANNOTATION, PRUNE_DISABLED, SOURCE_ANNOTATION, applyStage, objectIdentity, objectRef, ownerLabelValue, sortForPrune } from '../../cluster/index.ts';
import type { ClusterDriver, KubeObject } from '../../cluster/types.ts';
import { isKradleError, sanitize } from '../../errors/index.ts';
import { OWNER_LABEL, parseResourceKey } from '../../kinds/index.ts';
import { contentHashOf, objectKey, sourceKeyOf, type Change } from '../../plan/index.ts';
import type { InventoryEntry } from '../../store/types.ts';
import { objectHealth, type HealthOf } from '../status/object-health.ts';

export type { HealthOf };

interface ApplyDeps {
  driver: ClusterDriver;
  healthOf: HealthOf;
  /** Applies in flight at once within a stage of the apply order (default 16, like Flux's SSA concurrency). */
  concurrency?: number;
}

/**
 * Bounded, as Flux bounds its server-side applies, so a cold pass never floods the API server; 16 because one
 * apply is mostly a round trip, and at 8 the controller and a test API server both sat idle half a cold pass.
 */
const DEFAULT_CONCURRENCY = 16;

function errorMessage(err: unknown): string {
  return sanitize(err instanceof Error ? err.message : String(err));
}

/** Runs `fn` over items with at most `limit` in flight; results keep the items' order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Consecutive runs of objects (already in apply order) that share a stage. */
function stages(objects: readonly KubeObject[]): KubeObject[][] {
  const out: KubeObject[][] = [];
  let stage: number | undefined;
  for (const obj of objects) {
    const s = applyStage(obj);
    if (s !== stage) out.push([]);
    stage = s;
    out[out.length - 1]!.push(obj);
  }
  return out;
}

/**
 * Applies objects in dependency order, concurrently within a stage, and returns one change per object. A
 * failure marks that object and goes on: one bad object (or a missing CRD such as Kyverno's) never blocks the
 * rest of the revision.
 */
export async function applyObjects(objects: readonly KubeObject[], deps: ApplyDeps): Promise<Change[]> {
  // Discovery that fails (a 503 from an unavailable aggregated API, a timeout) says nothing about the kind:
  // the apply is tried and reports its own error, rather than telling the user to install a CRD.
  const served = new Map<string, Promise<boolean | undefined>>();
  const servesKind = (obj: KubeObject) => {
    const gvk = `${obj.apiVersion}/${obj.kind}`;
    let known = served.get(gvk);
    if (!known) served.set(gvk, (known = deps.driver.servesKind(obj.apiVersion, obj.kind).catch(() => undefined)));
    return known;
  };

  async function applyOne(obj: KubeObject): Promise<Change> {
    const base = { key: objectKey(obj), ref: objectRef(obj), sourceKey: sourceKeyOf(obj), contentHash: contentHashOf(obj) };
    if ((await servesKind(obj)) === false) {
      const gvk = `${obj.apiVersion}/${obj.kind}`;
      const message = `the cluster does not serve ${gvk}: install its CRD (for example Kyverno or KServe) to apply ${obj.metadata.name}`;
      return { ...base, action: 'Failed', reason: 'KindNotServed', code: 'KIND_NOT_SERVED', message, health: 'Missing' };
    }
    try {
      const outcome = await deps.driver.apply(obj, { force: true });
      if (outcome.action === 'planned' || !outcome.live) {
        return { ...base, action: 'Planned', reason: 'PlanOnly', message: 'plan-only: not applied', health: 'Unknown' };
      }
      const health = objectHealth(outcome.live, deps.healthOf);
      const action = outcome.action === 'created' ? 'Created' : outcome.action === 'configured' ? 'Configured' : 'Unchanged';
      return { ...base, action, reason: 'Applied', message: health.message, health: health.status, live: outcome.live };
    } catch (err) {
      const message = `${objectIdentity(obj)}: ${errorMessage(err)}`;
      return { ...base, action: 'Failed', reason: 'ApplyFailed', code: isKradleError(err) ? err.code : 'APPLY_FAILED', message, health: 'Unknown' };
    }
  }

  const changes: Change[] = [];
  for (const stage of stages(objects)) changes.push(...(await mapBounded(stage, deps.concurrency ?? DEFAULT_CONCURRENCY, applyOne)));
  return changes;
}

/**
 * Whether the live object is still the one the inventory entry's resource produced. An object of the same
 * name that another writer took over (a runtime workspace's PVC, labelled managed-by kradle like ours but owned
 * by its workspace and never in the inventory) must survive the prune of a config resource that once had it.
 */
function producedBy(live: KubeObject, sourceKey: string): boolean {
  const id = parseResourceKey(sourceKey);
  return live.metadata.annotations?.[SOURCE_ANNOTATION] === sourceKey && live.metadata.labels?.[OWNER_LABEL] === ownerLabelValue(id.kind, id.name);
}

/**
 * Deletes objects that left the desired state, dependents first. An object whose live copy says
 * `kradle.a5c.ai/prune: disabled`, or that no longer carries the owner marks of the resource that produced it,
 * is left in place and only forgotten (Skipped). One that changed between the read and the delete is left in
 * place and kept (Deferred).
 */
export async function pruneObjects(entries: readonly InventoryEntry[], driver: ClusterDriver): Promise<Change[]> {
  const sourceOf = new Map(entries.map((e) => [objectIdentity({ ...e.target, namespace: e.target.namespace ?? undefined }), e]));
  const asObjects = entries.map(
    ({ target: t }): KubeObject => ({ apiVersion: t.apiVersion, kind: t.kind, metadata: { name: t.name, ...(t.namespace ? { namespace: t.namespace } : {}) } }),
  );
  const changes: Change[] = [];
  for (const obj of sortForPrune(asObjects)) {
    const entry = sourceOf.get(objectIdentity(obj))!;
    const base = { key: objectKey(obj), ref: objectRef(obj), sourceKey: entry.sourceKey, contentHash: entry.contentHash, health: 'Missing' as const };
    try {
      const live = await driver.get(objectRef(obj));
      if (live?.metadata.annotations?.[PRUNE_ANNOTATION] === PRUNE_DISABLED) {
        changes.push({ ...base, action: 'Skipped', reason: 'PruneDisabled', message: `${PRUNE_ANNOTATION}: ${PRUNE_DISABLED}`, health: 'Unknown' });
        continue;
      }
      if (live && !producedBy(live, entry.sourceKey)) {
        const owner = live.metadata.labels?.[OWNER_LABEL] ?? 'no owner label';
        changes.push({ ...base, action: 'Skipped', reason: 'NotOwned', message: `owned by ${owner}, not ${entry.sourceKey}: left in place`, health: 'Unknown' });
        continue;
      }
      // Only the object judged above is deleted: one replaced (another uid) or changed (its owner marks or
      // prune annotation perhaps) since the read stays, and the next pass looks at it again.
      const preconditions = live && { uid: live.metadata.uid, resourceVersion: live.metadata.resourceVersion };
      if ((await driver.delete(objectRef(obj), preconditions ? { preconditions } : {})) === 'changed') {
        changes.push({ ...base, action: 'Deferred', reason: 'PruneConflict', message: 'changed since it was read: looked at again next pass', health: 'Unknown' });
        continue;
      }
      changes.push({ ...base, action: 'Deleted', reason: 'Pruned', message: 'left the desired state' });
    } catch (err) {
      changes.push({ ...base, action: 'Failed', reason: 'PruneFailed', code: 'PRUNE_FAILED', message: `${objectIdentity(obj)}: ${errorMessage(err)}`, health: 'Unknown' });
    }
  }
  return changes;
}
