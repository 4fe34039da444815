import type { SyncPort } from '../api/index.ts';
import { previewProjector } from '../cluster/index.ts';
import type { Loader } from '../loader/index.ts';
import { buildPreview } from '../plan/index.ts';
import type { SyncController } from '../reconcile/sync/index.ts';
import type { ConfigSource } from '../source/types.ts';
import type { Store, SyncRun } from '../store/types.ts';

/**
 * The API's view of the sync loop, plus pull-request previews: base and head are loaded with their own
 * loader (never the live one's state), diffed, and each created or changed resource lists the objects it
 * would produce in the cluster.
 */
export function createSyncPort(deps: { controller: SyncController; source: ConfigSource; loader: Loader; store: Store }): SyncPort & { refreshLastRun(): Promise<void> } {
  let lastRun: SyncRun | undefined;

  async function loadAt(rev: string) {
    const commit = await deps.source.resolve(rev);
    return deps.loader.load(await deps.source.snapshot(commit));
  }

  return {
    status() {
      const s = deps.controller.status();
      return {
        state: s.state,
        syncedRevision: s.syncedRevision,
        fetchedRevision: s.fetchedRevision,
        lastRun,
        clusterReachable: s.clusterReachable,
        sourceReachable: s.sourceReachable,
        message: s.message,
        leader: s.leader,
        mode: s.mode,
        lastAttemptedRevision: s.lastAttemptedRevision,
      } as ReturnType<SyncPort['status']>;
    },
    async trigger(reason, opts) {
      await deps.controller.trigger(reason, opts);
      lastRun = await deps.store.syncRuns.latest();
    },
    async refreshLastRun() {
      lastRun = await deps.store.syncRuns.latest();
    },
    async preview(base, head) {
      await deps.source.fetch();
      return buildPreview({ base, head }, await loadAt(base), await loadAt(head), previewProjector);
    },
  };
}
