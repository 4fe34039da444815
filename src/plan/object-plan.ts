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
 * Where a plan needs to look when it follows a plan whose changes all settled: the groups that may differ since
 * (removed ones included) and the objects that did not settle (failed to apply or prune). Every other object is
 * known to be applied at its content hash, and every other inventory entry to be desired.
 */
export interface PlanScope {
  sources: ReadonlySet<string>;
  /** Object keys (key text) the last pass failed to apply or prune. */
  objects: ReadonlySet<string>;
  /** The source key whose group holds the object of this key now (Kradle's own objects need not be found). */
  ownerOf(key: string): string | undefined;
  /** The inventory's keys of the objects a source applied. */
  inventoryOf(source: string): Iterable<string>;
  /** How many objects `desired` holds in all. */
  count: number;
}

export interface PlanOptions {
  /** Re-apply everything (periodic resync). */
  full: boolean;
  settled?: 'Synced' | 'Planned';
  scope?: PlanScope;
  /** Source keys whose objects are applied whatever the inventory says: they changed under an unchanged hash. */
  forced?: ReadonlySet<string>;
}

/**
 * Pure: what to apply and prune so the cluster matches `desired`, given what the inventory says was applied.
 * `full` re-applies everything (periodic resync); otherwise only what is new, changed or not `settled`: Synced,
 * or Planned for a plan-only driver (which plans an unchanged object once, not on every pass; a live driver
 * still applies what was only planned). Kradle's own objects (CRDs) are never pruned: deleting a CRD deletes
 * every object of its kind. With a `scope` (not with `full`) only what it names is looked at: the same plan for
 * a one-file change, in time proportional to the change.
 */
export function planObjects(desired: RenderedGroups, inventory: InventoryView, opts: PlanOptions): ObjectPlan {
  const forced = opts.forced ?? new Set<string>();
  if (opts.scope && !opts.full) return planScope(desired, inventory, opts.settled ?? 'Synced', opts.scope, forced);
  const settled = opts.settled ?? 'Synced';
  const wanted = new Set<string>();
  const apply: KubeObject[] = [];
  let unchanged = 0;
  const changedSources = new Set<string>();
  for (const [source, objects] of desired) {
    for (const obj of objects) {
      const id = keyTextOf(obj);
      wanted.add(id);
      if (!forced.has(source) && isSettled(obj, inventory.get(id), settled)) unchanged++;
      else {
        changedSources.add(source);
        apply.push(obj);
      }
    }
  }
  if (opts.full) {
    apply.length = 0;
    for (const objects of desired.values()) apply.push(...objects);
    unchanged = 0;
  }
  const prune: InventoryEntry[] = [];
  for (const [id, e] of inventory) if (prunable(e) && !wanted.has(id)) prune.push(e);
  return { apply: sortForApply(apply), prune, unchanged, changedSources };
}

function isSettled(obj: KubeObject, entry: InventoryEntry | undefined, settled: 'Synced' | 'Planned'): boolean {
  const hash = contentHashOf(obj);
  return entry !== undefined && entry.syncStatus === settled && hash !== '' && entry.contentHash === hash;
}

const prunable = (e: InventoryEntry) => e.sourceKey !== PLATFORM_SOURCE_KEY && e.syncStatus !== 'Pruned';

function planScope(desired: RenderedGroups, inventory: InventoryView, settled: 'Synced' | 'Planned', scope: PlanScope, forced: ReadonlySet<string>): ObjectPlan {
  const apply: KubeObject[] = [];
  const changedSources = new Set<string>();
  const seen = new Set<string>();
  const look = (source: string, obj: KubeObject) => {
    const id = keyTextOf(obj);
    if (seen.has(id)) return;
    seen.add(id);
    if (!forced.has(source) && isSettled(obj, inventory.get(id), settled)) return;
    changedSources.add(source);
    apply.push(obj);
  };
  const prune: InventoryEntry[] = [];
  const platform = new Set((desired.get(PLATFORM_SOURCE_KEY) ?? []).map(keyTextOf));
  const wanted = (id: string) => scope.ownerOf(id) !== undefined || platform.has(id);
  const judged = new Set<string>();
  const judge = (id: string) => {
    if (judged.has(id)) return;
    judged.add(id);
    const e = inventory.get(id);
    if (e && prunable(e) && !wanted(id)) prune.push(e);
  };
  for (const source of [...scope.sources, ...forced]) {
    for (const obj of desired.get(source) ?? []) look(source, obj);
    for (const id of scope.inventoryOf(source)) judge(id);
  }
  for (const id of scope.objects) {
    const source = scope.ownerOf(id) ?? (platform.has(id) ? PLATFORM_SOURCE_KEY : undefined);
    const obj = source === undefined ? undefined : desired.get(source)?.find((o) => keyTextOf(o) === id);
    if (obj) look(source!, obj);
    else judge(id);
  }
  return { apply: sortForApply(apply), prune, unchanged: scope.count - apply.length, changedSources };
}
