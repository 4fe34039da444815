import type { ClusterDriver, KubeObject } from '../../cluster/types.ts';
import { isKradleError, sanitize, UpstreamError, type ErrorDetail } from '../../errors/index.ts';
import type { DesiredState, LoadResult } from '../../loader/types.ts';
import type { ConfigSource, Snapshot } from '../../source/types.ts';
import type { LeaderLease, Store } from '../../store/types.ts';
import { createWorkQueue, type WorkQueue } from '../queue.ts';
import { createRunnerScaler } from '../runners/index.ts';
import { createStatusWriter, type StatusWriter } from '../status/index.ts';
import type { HealthOf } from './apply-objects.ts';
import { createDriftWatcher, type DriftWatcher } from './drift-watcher.ts';
import { createPassMemory, runSyncPass, type SyncPassResult } from './sync-pass.ts';

export interface SyncLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SyncControllerDeps {
  source: ConfigSource;
  load(snapshot: Snapshot): Promise<LoadResult>;
  store: Store;
  driver: ClusterDriver;
  healthOf: HealthOf;
  logger: SyncLogger;
  crds?: KubeObject[];
  now?: () => Date;
  /** Writes custom resources' /status; one is created when not given (pass one to share it with other domains). */
  statusWriter?: StatusWriter;
  /** Sync a revision that declares nothing even when that prunes every applied object (default false). */
  allowEmpty?: boolean;
  /** How often the source is fetched (default 60 s, with 10% jitter). */
  pollIntervalMs?: number;
  /** How often everything is re-applied whatever the inventory says (default 10 min). */
  resyncIntervalMs?: number;
  /** Called with each newly loaded good revision (readers of the desired state, stack readiness, ...). */
  onState?(state: DesiredState): void;
  /** Called after each pass with its outcome and duration, and after each fetch; for metrics. */
  onPass?(outcome: string, seconds: number): void;
  onFetch?(outcome: 'success' | 'failure'): void;
}

export interface SyncStatusView {
  state: 'Idle' | 'Syncing' | 'Failed' | 'Stopped';
  leader: boolean;
  mode: ClusterDriver['mode'];
  syncedRevision?: string;
  fetchedRevision?: string;
  lastAttemptedRevision?: string;
  lastOutcome?: string;
  sourceReachable?: boolean;
  clusterReachable: boolean;
  message?: string;
}

export interface SyncController {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Queues a sync (fetch, load, apply) and resolves when a sync that started after this call has finished. */
  trigger(reason: string): Promise<void>;
  current(): DesiredState | undefined;
  lastError(): ErrorDetail[];
  status(): SyncStatusView;
  /** The writer of custom resources' /status: other domains add their conditions through it. */
  readonly statusWriter: StatusWriter;
}

type Key = 'sync' | `obj:${string}`;

export function createSyncController(deps: SyncControllerDeps): SyncController {
  const now = deps.now ?? (() => new Date());
  const pollMs = deps.pollIntervalMs ?? 60_000;
  const resyncMs = deps.resyncIntervalMs ?? 600_000;
  let current: DesiredState | undefined;
  let errors: ErrorDetail[] = [];
  let lease: LeaderLease | undefined;
  let lastFull = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let waiters: (() => void)[] = [];
  const view: SyncStatusView = { state: 'Idle', leader: false, mode: deps.driver.mode, clusterReachable: true };
  const statusWriter = deps.statusWriter ?? createStatusWriter({ driver: deps.driver, store: deps.store, healthOf: deps.healthOf, logger: deps.logger, now });
  const memory = createPassMemory(deps.store);
  const scaler = createRunnerScaler({
    store: deps.store, driver: { apply: (obj) => drift.applyOwn(obj) }, status: statusWriter, logger: deps.logger, canApply: () => Boolean(lease) && !stopped });
  const drift: DriftWatcher = createDriftWatcher({
    driver: deps.driver, logger: deps.logger,
    enqueue: (id, delayMs = 0) => (delayMs > 0 ? queue.addAfter(`obj:${id}`, delayMs) : queue.add(`obj:${id}`)),
    observe: (type, obj) => {
      statusWriter.observe(type, obj);
      scaler.observe(type, obj);
    },
    adjust: (obj) => scaler.adjust(obj),
  });

  async function becomeLeader(): Promise<void> {
    if (lease || stopped) return;
    lease = await deps.store.tryAcquireLeader('kradle-sync');
    view.leader = Boolean(lease);
    lease?.lost.then(() => {
      deps.logger.warn({}, 'leader lock lost: applying stops until it is taken again');
      lease = undefined;
      view.leader = false;
      drift.stop();
    });
  }

  async function syncOnce(): Promise<void> {
    view.state = 'Syncing';
    const startedAt = performance.now();
    const started = waiters;
    waiters = [];
    try {
      await becomeLeader();
      const fetched = await deps.source.fetch().catch((err) => {
        view.sourceReachable = false;
        deps.onFetch?.('failure');
        throw err;
      });
      deps.onFetch?.('success');
      view.sourceReachable = true;
      view.fetchedRevision = fetched.commit;
      const full = Date.now() - lastFull >= resyncMs;
      const result = await pass(fetched.commit, full);
      if (full && lease) lastFull = Date.now();
      record(result);
      if (!('state' in result) && !current) await adoptLastGood(result);
      deps.onPass?.(result.outcome, (performance.now() - startedAt) / 1000);
    } catch (err) {
      deps.onPass?.('Error', (performance.now() - startedAt) / 1000);
      view.state = 'Failed';
      view.message = sanitize(err instanceof Error ? err.message : String(err));
      throw err;
    } finally {
      drift.releaseHeld();
      for (const resolve of started) resolve();
    }
  }

  async function pass(revision: string, full: boolean): Promise<SyncPassResult> {
    if (lease) await drift.holdDuringPass();
    const result = await runSyncPass(
      { ...deps, now, memory, status: statusWriter, adjust: scaler.adjust, onRendered: (objects) => { if (lease) scaler.track(objects); } },
      revision,
      { full, apply: Boolean(lease) },
    );
    if ('state' in result && lease) {
      for (const live of result.live) scaler.observe('MODIFIED', live);
      await scaler.recompute();
    }
    return result;
  }

  /**
   * A process that starts on an invalid revision knows no good one yet, so reads would be empty and drift
   * unwatched while the cluster still holds the last good revision. It is loaded (and re-asserted) from the
   * sync history; the invalid revision stays the one attempted, with its errors.
   */
  async function adoptLastGood(invalid: SyncPassResult): Promise<void> {
    const good = await deps.store.syncRuns.lastGood();
    if (!good || good.revision === invalid.revision) return;
    deps.logger.warn({ invalid: invalid.revision, lastGood: good.revision }, 'the fetched revision is invalid: the last good revision stays applied');
    // Best effort: the invalid revision is the outcome to report, whether or not the good one can be read.
    const result = await pass(good.revision, false).catch((err: unknown) => {
      deps.logger.warn({ lastGood: good.revision, err: sanitize(String(err)) }, 'the last good revision could not be loaded');
      return undefined;
    });
    if (!result || !('state' in result)) return;
    record(result);
    record(invalid);
  }

  function record(result: SyncPassResult): void {
    view.lastAttemptedRevision = result.revision;
    view.lastOutcome = result.outcome;
    if (!('state' in result)) {
      errors = result.errors;
      view.state = 'Failed';
      view.message = `revision ${result.revision.slice(0, 12)} is invalid (${result.errors.length} errors); ${view.syncedRevision ? `${view.syncedRevision.slice(0, 12)} stays applied` : 'nothing applied'}`;
      return;
    }
    errors = [];
    current = result.state;
    view.syncedRevision = result.revision;
    view.state = result.outcome === 'Succeeded' ? 'Idle' : 'Failed';
    view.clusterReachable = result.outcome !== 'Failed';
    view.message = result.outcome === 'Succeeded' ? undefined : `${result.run.errors.length} objects failed to apply or prune`;
    deps.onState?.(result.state);
    if (lease && !stopped) drift.track(result.objects, result.live);
  }

  const queue: WorkQueue<Key> = createWorkQueue<Key>({
    concurrency: 2,
    handler: async (key) => {
      if (key === 'sync') await syncOnce();
      // Every repair failure is worth retrying with back-off: the cluster moves under us (a namespace
      // being recreated, a CRD arriving), and the next full sync is minutes away.
      else if (lease) await drift.repair(key.slice(4)).catch((err) => Promise.reject(new UpstreamError(`drift repair of ${key.slice(4)} failed`, { cause: err })));
      return 'success';
    },
    onError: (key, err, info) => {
      const log = isKradleError(err) && err.disposition === 'stalled' ? deps.logger.warn : deps.logger.error;
      log.call(deps.logger, { key, attempts: info.attempts, retryInMs: info.retryInMs, err: sanitize(String(err)) }, 'sync failed');
    },
  });

  function schedulePoll(): void {
    if (stopped) return;
    const jittered = pollMs * (0.9 + Math.random() * 0.2);
    timer = setTimeout(() => {
      queue.add('sync');
      schedulePoll();
    }, jittered);
    timer.unref?.();
  }

  return {
    async start() {
      stopped = false;
      await becomeLeader();
      await scaler.start();
      queue.add('sync');
      schedulePoll();
    },
    async stop() {
      stopped = true;
      view.state = 'Stopped';
      if (timer) clearTimeout(timer);
      // The queue first: a pass finishing during shutdown would otherwise start new watches.
      await queue.shutdown({ drain: true });
      drift.stop();
      scaler.stop();
      for (const resolve of waiters) resolve();
      waiters = [];
      await lease?.release();
      lease = undefined;
    },
    trigger(reason) {
      deps.logger.info({ reason }, 'sync requested');
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        if (!queue.add('sync') && queue.shuttingDown) resolve();
      });
    },
    current: () => current,
    lastError: () => errors,
    status: () => ({ ...view }),
    statusWriter,
  };
}
