import { objectIdentity, objectRef, sortForApply, HASH_ANNOTATION, SOURCE_ANNOTATION } from '../../cluster/index.ts';
import type { KubeObject } from '../../cluster/types.ts';
import type { InventoryEntry } from '../../store/types.ts';

/** Source key of objects that belong to Kradle itself rather than to a resource of the config repo. */
export const PLATFORM_SOURCE_KEY = 'kradle/platform';

export interface ObjectPlan {
  /** Objects to apply, in dependency order. */
  apply: KubeObject[];
  /** Inventory targets no longer desired, to delete in reverse dependency order. */
  prune: InventoryEntry['target'][];
  /** Objects already applied with the same content hash at a Synced status. */
  unchanged: number;
  /** Source keys with at least one object new, changed or not Synced: their resources' revision moves. */
  changedSources: Set<string>;
}

export function sourceKeyOf(obj: KubeObject): string {
  return obj.metadata.annotations?.[SOURCE_ANNOTATION] ?? PLATFORM_SOURCE_KEY;
}

export function contentHashOf(obj: KubeObject): string {
  return obj.metadata.annotations?.[HASH_ANNOTATION] ?? '';
}

export function targetOf(obj: KubeObject): InventoryEntry['target'] {
  const ref = objectRef(obj);
  return { apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace ?? null, name: ref.name };
}

export function targetIdentity(t: InventoryEntry['target']): string {
  return objectIdentity({ apiVersion: t.apiVersion, kind: t.kind, name: t.name, ...(t.namespace ? { namespace: t.namespace } : {}) });
}

/**
 * Pure: what to apply and prune so the cluster matches `desired`, given what the inventory says was applied.
 * `full` re-applies everything (periodic resync, drift repair); otherwise only what is new, changed or not Synced.
 */
export function planObjects(desired: readonly KubeObject[], inventory: readonly InventoryEntry[], full: boolean): ObjectPlan {
  const applied = new Map(inventory.map((e) => [targetIdentity(e.target), e]));
  const wanted = new Set<string>();
  const apply: KubeObject[] = [];
  let unchanged = 0;
  const changedSources = new Set<string>();
  for (const obj of desired) {
    const id = objectIdentity(obj);
    wanted.add(id);
    const entry = applied.get(id);
    const same = entry && entry.syncStatus === 'Synced' && entry.contentHash === contentHashOf(obj) && contentHashOf(obj) !== '';
    if (!same) changedSources.add(sourceKeyOf(obj));
    if (full || !same) apply.push(obj);
    else unchanged++;
  }
  // Kradle's own objects (CRDs, the platform namespace) are never pruned: deleting a CRD deletes every object of it.
  const prune = inventory
    .filter((e) => e.sourceKey !== PLATFORM_SOURCE_KEY && e.syncStatus !== 'Pruned' && !wanted.has(targetIdentity(e.target)))
    .map((e) => e.target);
  return { apply: sortForApply(apply), prune, unchanged, changedSources };
}
