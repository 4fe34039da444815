import type { PreviewResult, SyncPort } from '../api/index.ts';
import { objectRef, projectResource } from '../cluster/index.ts';
import type { Loader } from '../loader/index.ts';
import { diffJson, diffStates } from '../plan/index.ts';
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
    async trigger(reason) {
      await deps.controller.trigger(reason);
      lastRun = await deps.store.syncRuns.latest();
    },
    async refreshLastRun() {
      lastRun = await deps.store.syncRuns.latest();
    },
    async preview(base, head): Promise<PreviewResult> {
      await deps.source.fetch();
      const [from, to] = [await loadAt(base), await loadAt(head)];
      if (!to.ok) return { base, head, valid: false, errors: to.errors, plan: null };
      const diff = diffStates(from.ok ? from.state : undefined, to.state);
      const produces = (key: string) => {
        const r = to.state.resources.get(key);
        return r ? projectResource(r, to.state).map(objectRef) : [];
      };
      const plan = diffJson(diff);
      return {
        base,
        head,
        valid: true,
        errors: [],
        plan: {
          ...plan,
          baseValid: from.ok,
          created: plan.created.map((c) => ({ ...c, objects: produces(c.key) })),
          changed: plan.changed.map((c) => ({ ...c, objects: produces(c.key) })),
        },
      };
    },
  };
}
