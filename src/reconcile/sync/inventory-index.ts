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
  /** Writes entries that differ from the ones held (all of them with `force`) and removes targets. */
  write(entries: readonly InventoryEntry[], removed?: readonly InventoryEntry['target'][]): Promise<void>;
}

const same = (a: InventoryEntry, b: InventoryEntry) =>
  a.sourceKey === b.sourceKey && a.syncStatus === b.syncStatus && a.health === b.health && a.contentHash === b.contentHash &&
  a.org === b.org && a.reason === b.reason && a.message === b.message;

export function createInventoryIndex(store: Pick<Store, 'inventory'>): InventoryIndex {
  let entries: Map<string, InventoryEntry> | undefined;
  let lastRun: number | undefined;

  return {
    async view(runId) {
      if (!entries || lastRun === undefined || runId !== lastRun + 1) {
        entries = new Map((await store.inventory.list()).map((e) => [targetKey(e.target), e]));
      }
      lastRun = runId;
      return entries;
    },
    async write(changed, removed = []) {
      const held = entries ?? new Map<string, InventoryEntry>();
      const delta = changed.filter((e) => {
        const before = held.get(targetKey(e.target));
        return !before || !same(before, e);
      });
      await store.inventory.upsert(delta);
      for (const e of delta) held.set(targetKey(e.target), e);
      if (removed.length > 0) {
        await store.inventory.remove([...removed]);
        for (const t of removed) held.delete(targetKey(t));
      }
      entries = held;
    },
  };
}
