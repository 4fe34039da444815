import { PRUNE_ANNOTATION, PRUNE_DISABLED, renderChanges, type ObjectGroups, type RenderCache } from '../../cluster/index.ts';
import type { ClusterDriver, KubeObject } from '../../cluster/types.ts';
import { formatDetail, sanitize, type ErrorDetail } from '../../errors/index.ts';
import { parseResourceKey, slugOfTenantNamespace } from '../../kinds/index.ts';
import type { DesiredState, LoadResult } from '../../loader/types.ts';
import type { ConfigSource, Snapshot } from '../../source/types.ts';
import { countChanges, keyText, keyTextOf, PLATFORM_SOURCE_KEY, planObjects, sourceKeyOf, syncOf, targetOf, type Change, type PlanScope } from '../../plan/index.ts';
import type { InventoryEntry, Store, SyncRun } from '../../store/types.ts';
import type { StatusWriter } from '../status/index.ts';
import { applyObjects, pruneObjects, type HealthOf } from './apply-objects.ts';
import { createInventoryIndex, type InventoryIndex } from './inventory-index.ts';
import { publishResourceEvents, type AnnouncedMemory } from './resource-events.ts';

export interface SyncPassDeps {
  source: ConfigSource;
  load(snapshot: Snapshot): Promise<LoadResult>;
  store: Store;
  driver: ClusterDriver;
  healthOf: HealthOf;
  crds?: KubeObject[];
  now: () => Date;
  /** Sync a revision that declares nothing even when that prunes every applied object (default false). */
  allowEmpty?: boolean;
  /** Writes each custom resource's /status after the pass (only when this process applies). */
  status?: StatusWriter;
  /**
   * Told the objects of the revision's RunnerPools (all the runner scaler reads) before adjust() sees any object,
   * so adjust() follows this revision, not the last.
   */
  onRendered?: (objects: readonly KubeObject[]) => void;
  /** Last say on an object before it is applied (runner Deployments take their replicas from the scaler). */
  adjust?: (obj: KubeObject) => KubeObject;
  /** What passes keep between them (see createPassMemory); without it each pass starts from the store. */
  memory?: PassMemory;
  /** Applies in flight at once within a stage of the apply order. */
  applyConcurrency?: number;
}

/**
 * What one applying process keeps between passes: the inventory in memory, the last render and announcement,
 * and whether the last pass completed (then the next one looks only at what its render changed).
 */
export interface PassMemory {
  inventory: InventoryIndex;
  render: RenderCache;
  announced: AnnouncedMemory;
  /**
   * Set by an applying pass that ran to its end: every object it did not list in `retry` (keys of objects it
   * failed to apply or prune) is applied at its content hash. Cleared when a pass begins.
   */
  settled?: { retry: ReadonlySet<string> };
  /** Groups the render found changed under an unchanged hash, kept until a pass has applied them. */
  forced?: ReadonlySet<string>;
}

export function createPassMemory(store: Pick<Store, 'inventory'>): PassMemory {
  return { inventory: createInventoryIndex(store), render: { entries: new Map() }, announced: {} };
}

/**
 * A pass's render: its groups (valid until the next pass renders), its number, and which groups changed since
 * the render numbered `since` (both undefined: every group may have).
 */
export interface PassRender {
  groups: ObjectGroups;
  version: number;
  changed?: ReadonlySet<string>;
  since?: number;
}

type Rendered = { state: DesiredState; readonly objects: KubeObject[]; live: KubeObject[]; render: PassRender };

/** Every outcome carries the revision's load warnings (UNKNOWN_FIELD, ...), which never stop a pass. */
export type SyncPassResult = { warnings: ErrorDetail[] } & (
  | { outcome: 'ValidationFailed'; revision: string; run: SyncRun; errors: ErrorDetail[] }
  | ({ outcome: SyncRun['outcome']; revision: string; run: SyncRun } & Rendered)
  /** A follower's pass: the revision was loaded to serve reads; nothing was applied or recorded, so no sync is claimed. */
  | ({ outcome: 'Loaded'; revision: string } & Rendered)
);

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
 * A revision that declares nothing while the cluster holds what an earlier one applied is far more often a
 * mistake (a mistyped path or branch, a bad merge) than a wish to delete every org: like Argo CD's
 * allowEmpty, it is refused unless asked for, and the last good revision stays applied.
 */
async function emptyRevisionErrors(deps: SyncPassDeps, state: DesiredState): Promise<ErrorDetail[]> {
  if (state.resources.size > 0 || deps.allowEmpty) return [];
  const applied = (await deps.store.inventory.list()).filter((e) => e.sourceKey !== PLATFORM_SOURCE_KEY).length;
  if (applied === 0) return [];
  return [{
    code: 'EMPTY_REVISION',
    message: `the revision declares no resources under the configured path, and syncing it would prune all ${applied} applied objects; check the path and branch, or start the controller with --allow-empty to sync an empty config repo`,
  }];
}

/**
 * One pass of the sync loop for one revision, a pipeline: atomic load -> render (objects grouped by the
 * resource that produced them) -> pure plan against the inventory -> apply and prune, each returning a change
 * per object -> inventory, status and the sync run as projections of those changes. With any validation error
 * nothing is applied and the last good revision stays live.
 */
export async function runSyncPass(deps: SyncPassDeps, commit: string, opts: { full: boolean; apply: boolean }): Promise<SyncPassResult> {
  // Only the process that applies records a run: a follower's "Succeeded" next to the leader's
  // PartiallyApplied would pass a half-applied revision off as synced (and as the last good one).
  const started = opts.apply ? await deps.store.syncRuns.start(commit) : undefined;
  try {
    if (started) await deps.store.events.publish({ org: null, type: 'SyncStarted', kind: 'SyncRun', name: String(started.id), payload: { revision: commit, startedAt: started.startedAt } });
    const result = await passOnce(deps, commit, opts, started);
    if (started && result.outcome !== 'Loaded') await publishResourceEvents(deps.store, result, deps.memory?.announced);
    return result;
  } catch (err) {
    // What the pass wrote is no longer known: the next one reads the inventory again and looks at everything.
    if (deps.memory) deps.memory.inventory = createInventoryIndex(deps.store);
    // A pass that throws (the store or the source failing under it) must not leave its run Running forever.
    if (started) {
      const failed = { outcome: 'Failed' as const, counts: {}, errors: [{ code: 'SYNC_ERROR', message: sanitize(err instanceof Error ? err.message : String(err)) }] };
      await deps.store.syncRuns.finish(started.id, failed, { onlyIfRunning: true }).catch(() => undefined);
    }
    throw err;
  }
}

async function passOnce(deps: SyncPassDeps, commit: string, opts: { full: boolean; apply: boolean }, started: SyncRun | undefined): Promise<SyncPassResult> {
  const { store } = deps;
  const loaded = await deps.load(await deps.source.snapshot(commit));
  const invalid = loaded.ok ? await emptyRevisionErrors(deps, loaded.state) : loaded.errors;
  if (!loaded.ok || invalid.length > 0) {
    const run = started ?? (await store.syncRuns.start(commit));
    const finished = await store.syncRuns.finish(run.id, {
      outcome: 'ValidationFailed',
      counts: { errors: invalid.length, documents: loaded.stats.documents },
      errors: invalid.map((e) => ({ code: e.code, message: e.message, path: e.path, line: e.line, column: e.column })),
    });
    if (opts.apply) await deps.status?.recordInvalid(commit, invalid);
    await store.events.publish({
      org: null, type: 'ValidationFailed', kind: 'SyncRun', name: String(run.id),
      payload: { revision: commit, errors: invalid.slice(0, 50).map(formatDetail) },
    });
    return { outcome: 'ValidationFailed', revision: commit, run: finished, errors: invalid, warnings: loaded.warnings };
  }
  const state = loaded.state;
  const memory = deps.memory ?? createPassMemory(store);
  const settledBefore = memory.settled;
  memory.settled = undefined;
  const render = renderChanges(state, { now: deps.now(), cache: memory.render, full: opts.full, ...(deps.crds ? { crds: deps.crds } : {}) });
  const { groups } = render;
  deps.onRendered?.(state.byKind('RunnerPool').flatMap((r) => groups.get(r.key) ?? []));
  const pass: PassRender = { groups, version: render.version, ...(render.changed ? { changed: render.changed, since: render.since! } : {}) };
  // Every object, flattened only when asked for: a one-file commit need not copy 40,000 references.
  const rendered = <T extends object>(head: T, live: KubeObject[]): T & Rendered & { warnings: ErrorDetail[] } =>
    ({ ...head, state, live, render: pass, warnings: loaded.warnings, get objects() { return flatten(groups); } });
  if (!started) return rendered({ outcome: 'Loaded' as const, revision: commit }, []);
  const run = started;
  // Here the pass knows the revision, its desired state and what changed against the inventory.
  const inventory = await memory.inventory.view(run.id);
  // Only what the render changed, and what the last pass left unsettled, needs a look when that pass completed
  // on the inventory held here; otherwise (a cold start, a full resync, a failed pass, another leader) everything.
  const changed = settledBefore && memory.inventory.continued ? render.changed : undefined;
  const scope: PlanScope | undefined = changed && {
    sources: changed, objects: settledBefore!.retry, ownerOf: (key) => render.ownerOf(key), inventoryOf: (source) => memory.inventory.keysOf(source),
    count: render.count,
  };
  // Forced groups wait in memory until a pass completes: one that throws must not lose them.
  const forced = memory.forced?.size ? new Set([...memory.forced, ...render.forced]) : render.forced;
  memory.forced = forced;
  const planned = planObjects(groups, inventory, {
    full: opts.full, settled: deps.driver.mode === 'plan-only' ? 'Planned' : 'Synced', forced, ...(scope ? { scope } : {}),
  });
  // adjust() changes no identity or hash, so it is asked only about what is applied.
  const plan = deps.adjust ? { ...planned, apply: planned.apply.map(deps.adjust) } : planned;
  const orgOf = orgLookup(state);
  const entryOf = (c: Change): InventoryEntry => ({
    sourceKey: c.sourceKey, org: orgOf(c.sourceKey),
    target: { apiVersion: c.ref.apiVersion, kind: c.ref.kind, namespace: c.ref.namespace ?? null, name: c.ref.name },
    revision: commit, contentHash: c.contentHash, syncStatus: syncOf(c.action) ?? 'Synced', health: c.health, reason: c.reason, message: c.message,
  });
  // Record intent first: a controller killed mid-apply still finds new objects in the inventory and can prune them.
  await memory.inventory.write(plan.apply.filter((obj) => !inventory.has(keyTextOf(obj))).map((obj) => ({
    sourceKey: sourceKeyOf(obj), org: orgOf(sourceKeyOf(obj)), target: targetOf(obj),
    revision: commit, contentHash: '', syncStatus: 'OutOfSync', health: 'Unknown', reason: 'Applying', message: '',
  })));
  const applied = await applyObjects(plan.apply, { driver: deps.driver, healthOf: deps.healthOf, ...(deps.applyConcurrency ? { concurrency: deps.applyConcurrency } : {}) });
  const pruned = await pruneObjects(plan.prune, deps.driver);
  const left = pruned.filter((c) => c.action === 'Deleted' || c.action === 'Skipped');
  await memory.inventory.write(applied.map(entryOf), left.map((c) => entryOf(c).target));
  const kept = pruned.filter((c) => c.action === 'Skipped');
  if (kept.length > 0) {
    await store.events.publish({
      org: null, type: 'PruneSkipped', kind: 'SyncRun', name: String(run.id),
      payload: {
        revision: commit, reason: kept.some((c) => c.reason === 'PruneDisabled') ? `${PRUNE_ANNOTATION}: ${PRUNE_DISABLED}` : 'taken over by another owner',
        kept: kept.slice(0, 50).map((c) => ({ ...entryOf(c).target, reason: c.reason, message: c.message })),
      },
    });
  }
  await deps.status?.recordApplied({ revision: commit, groups, changes: applied, changed: plan.changedSources, orgOf, ...(changed ? { scope: changed } : {}) });
  const deferred = pruned.filter((c) => c.action === 'Deferred').length;
  const errors = [...applied, ...pruned].filter((c) => c.action === 'Failed').map((c) => ({ code: c.code ?? 'APPLY_FAILED', message: c.message }));
  const counts = countChanges(applied);
  // Objects already in place count: a pass that fails its only change leaves the rest of the revision applied.
  const inPlace = counts.applied! + counts.planned! + plan.unchanged + pruned.filter((c) => c.action !== 'Failed').length;
  const outcome: SyncRun['outcome'] = errors.length === 0 ? 'Succeeded' : inPlace > 0 ? 'PartiallyApplied' : 'Failed';
  const finished = await store.syncRuns.finish(run.id, {
    outcome,
    counts: {
      resources: state.resources.size, objects: plan.unchanged + plan.apply.length, skipped: plan.unchanged,
      pruned: pruned.filter((c) => c.action === 'Deleted').length, keptOnPrune: kept.length, ...counts,
      // Only when some were: the controller runs the revision again at the next poll rather than take it as settled.
      ...(deferred > 0 ? { pruneDeferred: deferred } : {}),
    },
    errors,
  });
  await store.events.publish({
    org: null, type: outcome === 'Succeeded' ? 'SyncSucceeded' : 'SyncFailed', kind: 'SyncRun', name: String(run.id),
    payload: { revision: commit, outcome, counts: finished.counts, errors: errors.slice(0, 50) },
  });
  memory.forced = undefined;
  const unsettled = (c: Change) => c.action === 'Failed' || c.action === 'Deferred';
  memory.settled = { retry: new Set([...applied, ...pruned].filter(unsettled).map((c) => keyText(c.key))) };
  return rendered({ outcome, revision: commit, run: finished }, applied.flatMap((c) => (c.live ? [c.live] : [])));
}

function flatten(groups: ObjectGroups): KubeObject[] {
  const out: KubeObject[] = [];
  for (const objects of groups.values()) out.push(...objects);
  return out;
}
