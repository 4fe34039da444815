import { HASH_ANNOTATION, PLATFORM_SOURCE_KEY, SOURCE_ANNOTATION } from '../cluster/projections/meta.ts';
import { sortForApply } from '../cluster/apply-order.ts';
import type { KubeObject } from '../cluster/types.ts';
import type { InventoryEntry } from '../store/types.ts';
import { keyText, keyTextOf, objectKey } from './object-key.ts';

export { PLATFORM_SOURCE_KEY };

/** A revision's objects grouped by the resource that produced them (the platform key for Kradle's own). */
export type RenderedGroups = ReadonlyMap<string, readonly KubeObject[]>;

/** What the inventory says was applied, by the object's key text. */
export type InventoryView = ReadonlyMap<string, InventoryEntry>;

export interface ObjectPlan {
  /** Objects to apply, in dependency order. */
  apply: KubeObject[];
  /** Inventory entries no longer desired: to delete, dependents first. */
  prune: InventoryEntry[];
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
  const { apiVersion, kind, metadata } = obj;
  return { apiVersion, kind, namespace: metadata.namespace ?? null, name: metadata.name };
}

export function targetKey(t: InventoryEntry['target']): string {
  return keyText(objectKey({ apiVersion: t.apiVersion, kind: t.kind, name: t.name, ...(t.namespace ? { namespace: t.namespace } : {}) }));
}

/**
 * Pure: what to apply and prune so the cluster matches `desired`, given what the inventory says was applied.
 * `full` re-applies everything (periodic resync); otherwise only what is new, changed or not `settled`: Synced,
 * or Planned for a plan-only driver (which plans an unchanged object once, not on every pass; a live driver
 * still applies what was only planned). Kradle's own objects (CRDs) are never pruned: deleting a CRD deletes
 * every object of its kind.
 */
export function planObjects(desired: RenderedGroups, inventory: InventoryView, opts: { full: boolean; settled?: 'Synced' | 'Planned' }): ObjectPlan {
  const settled = opts.settled ?? 'Synced';
  const wanted = new Set<string>();
  const apply: KubeObject[] = [];
  let unchanged = 0;
  const changedSources = new Set<string>();
  for (const [source, objects] of desired) {
    for (const obj of objects) {
      const id = keyTextOf(obj);
      wanted.add(id);
      const entry = inventory.get(id);
      const hash = contentHashOf(obj);
      const same = entry !== undefined && entry.syncStatus === settled && hash !== '' && entry.contentHash === hash;
      if (!same) changedSources.add(source);
      if (opts.full || !same) apply.push(obj);
      else unchanged++;
    }
  }
  const prune: InventoryEntry[] = [];
  for (const [id, e] of inventory) {
    if (e.sourceKey !== PLATFORM_SOURCE_KEY && e.syncStatus !== 'Pruned' && !wanted.has(id)) prune.push(e);
  }
  return { apply: sortForApply(apply), prune, unchanged, changedSources };
}
