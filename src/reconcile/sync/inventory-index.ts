import { targetKey, type InventoryView } from '../../plan/index.ts';
import type { InventoryEntry, Store } from '../../store/types.ts';

/**
 * The inventory held in memory by the process that applies: loaded from the store once, and written back
 * as deltas (the entries a pass changed), so a one-file commit neither reads nor writes every row.
 *
 * It is only true while this process is the one writer. Every applying pass starts a sync run; when the run
 * before it was not this process's own, another leader may have written meanwhile, and the index reloads.
 */
export interface InventoryIndex {
  /** The inventory as of the start of a pass numbered `runId`. */
  view(runId: number): Promise<InventoryView>;
  /** Whether the last view() continued from what this index wrote (false when it read the store). */
  readonly continued: boolean;
  /** Keys of the entries a source key applied, as held. */
  keysOf(sourceKey: string): Iterable<string>;
  /** Writes entries that differ from the ones held (all of them with `force`) and removes targets. */
  write(entries: readonly InventoryEntry[], removed?: readonly InventoryEntry['target'][]): Promise<void>;
}

const same = (a: InventoryEntry, b: InventoryEntry) =>
  a.sourceKey === b.sourceKey && a.syncStatus === b.syncStatus && a.health === b.health && a.contentHash === b.contentHash &&
  a.org === b.org && a.reason === b.reason && a.message === b.message;

export function createInventoryIndex(store: Pick<Store, 'inventory'>): InventoryIndex {
  let entries: Map<string, InventoryEntry> | undefined;
  /** Entry keys by source key, kept with the entries so a pass finds a resource's objects without a scan. */
  let bySource = new Map<string, Set<string>>();
  let lastRun: number | undefined;
  let continued = false;

  const index = (key: string, before: InventoryEntry | undefined, after: InventoryEntry | undefined) => {
    if (before?.sourceKey === after?.sourceKey) return;
    if (before) {
      const keys = bySource.get(before.sourceKey);
      keys?.delete(key);
      if (keys?.size === 0) bySource.delete(before.sourceKey);
    }
    if (after) (bySource.get(after.sourceKey) ?? bySource.set(after.sourceKey, new Set()).get(after.sourceKey)!).add(key);
  };

  return {
    async view(runId) {
      continued = !!entries && lastRun !== undefined && runId === lastRun + 1;
      if (!continued) {
        entries = new Map((await store.inventory.list()).map((e) => [targetKey(e.target), e]));
        bySource = new Map();
        for (const [key, e] of entries) index(key, undefined, e);
      }
      lastRun = runId;
      return entries!;
    },
    get continued() {
      return continued;
    },
    keysOf: (sourceKey) => bySource.get(sourceKey) ?? [],
    async write(changed, removed = []) {
      const held = entries ?? new Map<string, InventoryEntry>();
      const delta = changed.filter((e) => {
        const before = held.get(targetKey(e.target));
        return !before || !same(before, e);
      });
      // A row is keyed by its source key too: an object that another resource now produces (a declared
      // OrgNamespaceBinding taking over the one its Organization made) must not keep its old row beside the new,
      // for a process reading the store to take the stale one. The store drops it in the transaction of the write.
      const takenOver = delta.flatMap((e) => {
        const before = held.get(targetKey(e.target));
        return before && before.sourceKey !== e.sourceKey ? [before.target] : [];
      });
      await store.inventory.write(delta, { takenOver, removed });
      for (const e of delta) {
        const key = targetKey(e.target);
        index(key, held.get(key), e);
        held.set(key, e);
      }
      for (const t of removed) {
        const key = targetKey(t);
        index(key, held.get(key), undefined);
        held.delete(key);
      }
      entries = held;
    },
  };
}
