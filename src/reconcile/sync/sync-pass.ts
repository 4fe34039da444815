import { renderObjects } from '../../cluster/index.ts';
import type { ClusterDriver, KubeObject } from '../../cluster/types.ts';
import { formatDetail, type ErrorDetail } from '../../errors/index.ts';
import { parseResourceKey, slugOfTenantNamespace } from '../../kinds/index.ts';
import type { DesiredState, LoadResult } from '../../loader/types.ts';
import type { ConfigSource, Snapshot } from '../../source/types.ts';
import type { Store, SyncRun } from '../../store/types.ts';
import type { StatusWriter } from '../status/index.ts';
import { applyObjects, pruneObjects, type HealthOf } from './apply-objects.ts';
import { PLATFORM_SOURCE_KEY, planObjects, sourceKeyOf, targetOf } from './object-plan.ts';

export interface SyncPassDeps {
  source: ConfigSource;
  load(snapshot: Snapshot): Promise<LoadResult>;
  store: Store;
  driver: ClusterDriver;
  healthOf: HealthOf;
  crds?: KubeObject[];
  now: () => Date;
  /** Writes each custom resource's /status after the pass (only when this process applies). */
  status?: StatusWriter;
  /** Told the revision's objects before adjust() sees any of them, so adjust() follows this revision, not the last. */
  onRendered?: (objects: readonly KubeObject[]) => void;
  /** Last say on an object before it is applied (runner Deployments take their replicas from the scaler). */
  adjust?: (obj: KubeObject) => KubeObject;
}

export type SyncPassResult =
  | { outcome: 'ValidationFailed'; revision: string; run: SyncRun; errors: ErrorDetail[] }
  | { outcome: SyncRun['outcome']; revision: string; run: SyncRun; state: DesiredState; objects: KubeObject[]; live: KubeObject[] };

/** The org a source key belongs to, read from the desired state (platform objects have none). */
function orgLookup(state: DesiredState) {
  return (sourceKey: string): string | null => {
    const r = state.resources.get(sourceKey);
    if (r) return r.org;
    if (sourceKey === PLATFORM_SOURCE_KEY) return null;
    return slugOfTenantNamespace(parseResourceKey(sourceKey).namespace) ?? null;
  };
}

/**
 * One pass of the sync loop for one revision: atomic load, plan against the inventory, apply in
 * dependency order, prune, record inventory and the sync run. With any validation error nothing is
 * applied and the last good revision stays live.
 */
export async function runSyncPass(deps: SyncPassDeps, commit: string, opts: { full: boolean; apply: boolean }): Promise<SyncPassResult> {
  const { store } = deps;
  const run = await store.syncRuns.start(commit);
  const loaded = await deps.load(await deps.source.snapshot(commit));
  if (!loaded.ok) {
    const finished = await store.syncRuns.finish(run.id, {
      outcome: 'ValidationFailed',
      counts: { errors: loaded.errors.length, documents: loaded.stats.documents },
      errors: loaded.errors.map((e) => ({ code: e.code, message: e.message, path: e.path, line: e.line, column: e.column })),
    });
    if (opts.apply) await deps.status?.recordInvalid(commit, loaded.errors);
    await store.events.publish({
      org: null, type: 'ValidationFailed', kind: 'SyncRun', name: String(run.id),
      payload: { revision: commit, errors: loaded.errors.slice(0, 50).map(formatDetail) },
    });
    return { outcome: 'ValidationFailed', revision: commit, run: finished, errors: loaded.errors };
  }
  const state = loaded.state;
  const rendered = renderObjects(state, { now: deps.now(), ...(deps.crds ? { crds: deps.crds } : {}) });
  deps.onRendered?.(rendered);
  const objects = deps.adjust ? rendered.map(deps.adjust) : rendered;
  if (!opts.apply) {
    const finished = await store.syncRuns.finish(run.id, { outcome: 'Succeeded', counts: { resources: state.resources.size, applied: 0 }, errors: [] });
    return { outcome: 'Succeeded', revision: commit, run: finished, state, objects, live: [] };
  }
  const plan = planObjects(objects, await store.inventory.list(), opts.full);
  const orgOf = orgLookup(state);
  // Record intent first: a controller killed mid-apply still finds these objects in the inventory and can prune them.
  await store.inventory.upsert(
    plan.apply.map((obj) => ({
      sourceKey: sourceKeyOf(obj), org: orgOf(sourceKeyOf(obj)), target: targetOf(obj),
      revision: commit, contentHash: '', syncStatus: 'OutOfSync' as const, health: 'Unknown' as const, conditions: [],
    })),
  );
  const applied = await applyObjects(plan.apply, commit, { driver: deps.driver, healthOf: deps.healthOf, orgOf, now: deps.now });
  await store.inventory.upsert(applied.entries);
  const pruned = await pruneObjects(plan.prune, deps.driver);
  await store.inventory.remove(pruned.pruned);
  await deps.status?.recordApplied({ revision: commit, objects, entries: applied.entries, live: applied.live, changed: plan.changedSources });
  const errors = [...applied.errors, ...pruned.errors];
  const outcome: SyncRun['outcome'] = errors.length === 0 ? 'Succeeded' : applied.counts.applied + applied.counts.planned > 0 ? 'PartiallyApplied' : 'Failed';
  const finished = await store.syncRuns.finish(run.id, {
    outcome,
    counts: { resources: state.resources.size, objects: objects.length, skipped: plan.unchanged, pruned: pruned.pruned.length, ...applied.counts },
    errors,
  });
  await store.events.publish({
    org: null, type: outcome === 'Succeeded' ? 'SyncSucceeded' : 'SyncFailed', kind: 'SyncRun', name: String(run.id),
    payload: { revision: commit, outcome, counts: finished.counts, errors: errors.slice(0, 50) },
  });
  return { outcome, revision: commit, run: finished, state, objects, live: applied.live };
}
