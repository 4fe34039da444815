import type { ClusterDriver, KubeObject } from '../../cluster/types.ts';
import { formatDetail, formatWarning, isKradleError, sanitize, UpstreamError, WaitingError, type ErrorDetail } from '../../errors/index.ts';
import { parseResourceKey } from '../../kinds/index.ts';
import type { DesiredState, LoadResult } from '../../loader/types.ts';
import type { ConfigSource, Snapshot } from '../../source/types.ts';
import type { Store } from '../../store/types.ts';
import { createWorkQueue, type WorkQueue } from '../queue.ts';
import { createResync } from '../resync.ts';
import { createRunnerScaler } from '../runners/index.ts';
import { createStatusWriter, type StatusWriter } from '../status/index.ts';
import type { HealthOf } from './apply-objects.ts';
import { createDriftWatcher, type DriftWatcher } from './drift-watcher.ts';
import { createPassMemory, runSyncPass, type SyncPassResult } from './sync-pass.ts';

export interface SyncLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
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
  /** How often the source is fetched (default 60 s, plus up to 10% jitter). */
  pollIntervalMs?: number;
  /** How often everything is re-applied whatever the inventory says (default 10 min). */
  resyncIntervalMs?: number;
  /** Called with each newly loaded good revision (readers of the desired state, stack readiness, ...). */
  onState?(state: DesiredState): void;
  /** Called after each pass with its outcome and duration, and after each fetch; for metrics. */
  onPass?(outcome: string, seconds: number): void;
  onFetch?(outcome: 'success' | 'failure'): void;
  /** Called when a fetch found the revision already synced, so no pass ran and no run was recorded. */
  onUnchanged?(): void;
}

export interface SyncStatusView {
  /** Idle (synced), Syncing, ValidationFailed (the fetched revision is invalid), Failed (a pass failed), Stopped. */
  state: 'Idle' | 'Syncing' | 'ValidationFailed' | 'Failed' | 'Stopped';
  leader: boolean;
  mode: ClusterDriver['mode'];
  syncedRevision?: string;
  fetchedRevision?: string;
  lastAttemptedRevision?: string;
  lastOutcome?: string;
  sourceReachable?: boolean;
  /** False in plan-only mode: no cluster is connected. */
  clusterReachable: boolean;
  message?: string;
}

/** What the last pass left, restored when a fetch finds the same revision and no pass runs. */
interface Settled {
  revision: string;
  outcome: string;
  /** A prune found its object changed under it: the revision is not settled, the next poll looks again. */
  pruneDeferred: boolean;
  applied: boolean;
  state: SyncStatusView['state'];
  message?: string;
}

/**
 * Why a repair failed, for the operator's log line: a cluster error's message is cut at the driver to what
 * may be shown (status, reason, field paths; never an object's data), anything else to its first line.
 */
function causeOf(err: unknown): string {
  if (isKradleError(err)) return sanitize(err.message);
  return sanitize((err instanceof Error ? err.message : String(err)).split('\n')[0]!).slice(0, 400);
}

/** Outcomes a second pass over the same revision would only repeat; a failed apply is retried at each poll. */
const FINAL_OUTCOMES = new Set(['Succeeded', 'ValidationFailed']);

/** The part of the controller that runs only while this replica holds the leader lock. */
export interface SyncLeaderWork {
  readonly name: string;
  /** Apply, prune, self-heal, runner scaling and the periodic full resync start; a full pass is queued at once. */
  start(): Promise<void>;
  /** They stop; a pass under way can no longer write to the cluster. */
  stop(): Promise<void>;
}

export interface SyncController {
  /** Starts polling and loading (every replica serves the desired state); applying waits for `leaderWork`. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Registered with the leadership manager, which starts it on the replica holding the lock. */
  readonly leaderWork: SyncLeaderWork;
  /**
   * Queues a sync (fetch, load, apply) and resolves when a sync that started after this call has finished. A
   * fetch that finds the revision already synced runs no pass, unless `record` asks for one (an explicit sync).
   */
  trigger(reason: string, opts?: { record?: boolean }): Promise<void>;
  current(): DesiredState | undefined;
  lastError(): ErrorDetail[];
  status(): SyncStatusView;
  /** The writer of custom resources' /status: other domains add their conditions through it. */
  readonly statusWriter: StatusWriter;
}

type Key = 'sync' | `obj:${string}`;

/**
 * The cluster as a replica that may have lost the lock sees it: once `leading()` turns false, a pass (or a
 * repair) still under way gets an error on its next write instead of racing the new leader.
 */
function fenced(driver: ClusterDriver, leading: () => boolean): ClusterDriver {
  const refuse = () => Promise.reject(new WaitingError('this replica no longer holds the leader lock: it writes nothing to the cluster'));
  return {
    mode: driver.mode,
    apply: (obj, opts) => (leading() ? driver.apply(obj, opts) : refuse()),
    delete: (ref, opts) => (leading() ? driver.delete(ref, opts) : refuse()),
    applyStatus: (ref, status) => (leading() ? driver.applyStatus(ref, status) : refuse()),
    get: (ref) => driver.get(ref),
    list: (apiVersion, kind, opts) => driver.list(apiVersion, kind, opts),
    watch: (apiVersion, kind, opts, onEvent, onError) => driver.watch(apiVersion, kind, opts, onEvent, onError),
    servesKind: (apiVersion, kind) => driver.servesKind(apiVersion, kind),
  };
}

export function createSyncController(deps: SyncControllerDeps): SyncController {
  const now = deps.now ?? (() => new Date());
  const pollMs = deps.pollIntervalMs ?? 60_000;
  const resyncMs = deps.resyncIntervalMs ?? 600_000;
  let current: DesiredState | undefined;
  let errors: ErrorDetail[] = [];
  let leading = false;
  let fullDue = true;
  let stopped = true;
  let waiters: (() => void)[] = [];
  let recordAsked = false;
  let settled: Settled | undefined;
  /** The last revision whose warnings were logged: a pass of the same revision again (a resync) logs them no more. */
  let warnedRevision: string | undefined;
  const planOnly = deps.driver.mode === 'plan-only';
  const view: SyncStatusView = { state: 'Idle', leader: false, mode: deps.driver.mode, clusterReachable: !planOnly };
  const driver = fenced(deps.driver, () => leading && !stopped);
  const statusWriter = deps.statusWriter ?? createStatusWriter({ driver, store: deps.store, healthOf: deps.healthOf, logger: deps.logger, now });
  const memory = createPassMemory(deps.store);
  /** The render whose pools the runner scaler last recomputed. */
  let scaledRender: number | undefined;
  const scaler = createRunnerScaler({
    store: deps.store, driver: { apply: (obj) => drift.applyOwn(obj) }, status: statusWriter, logger: deps.logger, canApply: () => leading && !stopped });
  const drift: DriftWatcher = createDriftWatcher({
    driver, logger: deps.logger,
    enqueue: (id, delayMs = 0) => (delayMs > 0 ? queue.addAfter(`obj:${id}`, delayMs) : queue.add(`obj:${id}`)),
    observe: (type, obj) => {
      statusWriter.observe(type, obj);
      scaler.observe(type, obj);
    },
    adjust: (obj) => scaler.adjust(obj),
  });

  async function syncOnce(): Promise<void> {
    const startedAt = performance.now();
    const started = waiters;
    const explicit = recordAsked;
    waiters = [];
    recordAsked = false;
    try {
      const fetched = await deps.source.fetch().catch((err) => {
        view.sourceReachable = false;
        deps.onFetch?.('failure');
        throw err;
      });
      deps.onFetch?.('success');
      view.sourceReachable = true;
      view.fetchedRevision = fetched.commit;
      const full = fullDue && leading;
      // A poll (or a webhook, or a ref move) that finds what the last pass settled records no run and no event:
      // a quiet repo would otherwise leave a run every minute. Only a pass asked for explicitly runs again.
      if (!full && !explicit && settled && settled.revision === fetched.commit && settled.applied === leading && FINAL_OUTCOMES.has(settled.outcome) && !settled.pruneDeferred) {
        view.state = settled.state;
        view.message = settled.message;
        deps.onUnchanged?.();
        // Status writes that failed are still retried at each poll, as a pass would.
        if (leading) await statusWriter.flush();
        return;
      }
      // Syncing only once there is a pass to run: a poll that finds nothing new leaves the state as it was.
      view.state = 'Syncing';
      const result = await pass(fetched.commit, full);
      if (full && leading) fullDue = false;
      record(result);
      if (result.outcome === 'Loaded') await followLeader(result.revision);
      if (!('state' in result) && !current) await adoptLastGood(result);
      const pruneDeferred = 'run' in result && (result.run.counts.pruneDeferred ?? 0) > 0;
      settled = { revision: result.revision, outcome: result.outcome, pruneDeferred, applied: leading, state: view.state, message: view.message };
      logPass(result);
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

  /**
   * A follower applied nothing: its synced revision is the leader's last good one, and its state the leader's
   * outcome of the revision both loaded, so a replica behind the same load balancer does not say Idle while the
   * leader's apply of that revision failed.
   */
  async function followLeader(revision: string): Promise<void> {
    const [good, latest] = await Promise.all([deps.store.syncRuns.lastGood(), deps.store.syncRuns.latest()]);
    view.syncedRevision = good?.revision;
    if (latest?.revision === revision && (latest.outcome === 'PartiallyApplied' || latest.outcome === 'Failed')) {
      view.state = 'Failed';
      view.message = `${latest.errors.length} objects failed to apply or prune`;
    }
  }

  async function pass(revision: string, full: boolean): Promise<SyncPassResult> {
    const applying = leading;
    if (applying) await drift.holdDuringPass();
    const result = await runSyncPass(
      { ...deps, driver, now, memory, status: statusWriter, adjust: scaler.adjust, onRendered: (objects) => { if (applying) scaler.track(objects); } },
      revision,
      { full, apply: applying },
    );
    if ('state' in result && applying && leading) {
      for (const live of result.live) scaler.observe('MODIFIED', live);
      // Job records reach the scaler through its own event stream: after a pass, only the pools it changed need
      // a look, when the scaler saw the render before (otherwise every pool).
      const { changed, since, version } = result.render;
      const pools = changed && since === scaledRender ? [...changed].filter((key) => key.startsWith('RunnerPool/')) : undefined;
      if (!pools) await scaler.recompute();
      for (const namespace of new Set((pools ?? []).map((key) => parseResourceKey(key).namespace))) await scaler.recompute(namespace);
      scaledRender = version;
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
      view.state = 'ValidationFailed';
      view.message = `revision ${result.revision.slice(0, 12)} is invalid (${result.errors.length} errors); ${view.syncedRevision ? `${view.syncedRevision.slice(0, 12)} stays applied` : 'nothing applied'}`;
      return;
    }
    errors = [];
    current = result.state;
    if (result.outcome === 'Loaded') {
      // A follower applied nothing: it serves the revision, and the synced one is the leader's (read in syncOnce).
      view.state = 'Idle';
      view.message = undefined;
      deps.onState?.(result.state);
      return;
    }
    view.syncedRevision = result.revision;
    view.state = result.outcome === 'Succeeded' ? 'Idle' : 'Failed';
    view.clusterReachable = !planOnly && result.outcome !== 'Failed';
    view.message = result.outcome === 'Succeeded' ? undefined : `${result.run.errors.length} objects failed to apply or prune`;
    deps.onState?.(result.state);
    if (leading && !stopped) drift.trackRender(result.render, result.live);
  }

  /**
   * One line per pass that changed something or failed, so an operator reading the logs sees every revision
   * that moved the cluster or was refused, with the first errors: info when it succeeded, warn when the
   * revision is invalid (the last good one stays applied), error when objects failed to apply.
   */
  function logPass(result: SyncPassResult): void {
    const revision = result.revision;
    logWarnings(result);
    if (!('state' in result)) {
      const lastGood = view.syncedRevision;
      deps.logger.warn(
        { revision, errorCount: result.errors.length, errors: result.errors.slice(0, 5).map(formatDetail), lastGood },
        `sync: revision ${revision.slice(0, 12)} is invalid (${result.errors.length} errors); ${lastGood ? `${lastGood.slice(0, 12)} stays applied` : 'nothing applied'}`,
      );
      return;
    }
    // A follower's pass applied nothing; the leader logs the revision it applies.
    if (result.outcome === 'Loaded') return;
    const c = result.run.counts;
    const counts = { created: c.created ?? 0, configured: c.configured ?? 0, pruned: c.pruned ?? 0, planned: c.planned ?? 0, failed: (c.failed ?? 0) + (c.missingKind ?? 0) };
    const failed = result.outcome !== 'Succeeded';
    if (!failed && counts.created + counts.configured + counts.pruned + counts.planned === 0) return;
    const summary = `created ${counts.created}, configured ${counts.configured}, pruned ${counts.pruned}${counts.planned ? `, planned ${counts.planned}` : ''}`;
    if (!failed) return deps.logger.info({ revision, ...counts }, `sync: revision ${revision.slice(0, 12)} applied: ${summary}`);
    const first = result.run.errors.slice(0, 5).map(formatDetail);
    deps.logger.error({ revision, outcome: result.outcome, ...counts, errorCount: result.run.errors.length, errors: first },
      `sync: revision ${revision.slice(0, 12)} ${result.outcome}: ${summary}, ${result.run.errors.length} failed: ${first[0] ?? ''}`);
  }

  /**
   * A revision's load warnings (a spec field its kind does not know, so ignored), once per revision at warn level,
   * valid or not, with the first few: the author may have meant something the cluster now does not get.
   */
  function logWarnings(result: SyncPassResult): void {
    const { revision, warnings } = result;
    // A follower's pass applied nothing; the leader logs the revision it applies.
    if (warnings.length === 0 || result.outcome === 'Loaded' || revision === warnedRevision) return;
    warnedRevision = revision;
    const first = warnings.slice(0, 5).map(formatWarning);
    deps.logger.warn({ revision, warningCount: warnings.length, warnings: first },
      `sync: revision ${revision.slice(0, 12)} has ${warnings.length} warning${warnings.length === 1 ? '' : 's'}: ${first[0]}`);
  }

  const queue: WorkQueue<Key> = createWorkQueue<Key>({
    concurrency: 2,
    handler: async (key) => {
      if (key === 'sync') await syncOnce();
      // Every repair failure is worth retrying with back-off: the cluster moves under us (a namespace
      // being recreated, a CRD arriving), and the next full sync is minutes away.
      else if (leading) await drift.repair(key.slice(4)).catch((err) => Promise.reject(new UpstreamError(`drift repair of ${key.slice(4)} failed: ${causeOf(err)}`, { cause: err })));
      return 'success';
    },
    onError: (key, err, info) => {
      const log = isKradleError(err) && err.disposition === 'stalled' ? deps.logger.warn : deps.logger.error;
      log.call(deps.logger, { key, attempts: info.attempts, retryInMs: info.retryInMs, err: sanitize(String(err)) }, 'sync failed');
    },
  });

  const poll = createResync({ intervalMs: pollMs, enqueueAll: () => void queue.add('sync') });
  // Everything is re-applied now and then whatever the inventory says, on its own clock: a long poll interval
  // must not stretch it.
  const fullResync = createResync({ intervalMs: resyncMs, jitter: 0, enqueueAll: () => {
    fullDue = true;
    queue.add('sync');
  } });

  const leaderWork: SyncLeaderWork = {
    name: 'sync',
    async start() {
      if (stopped || leading) return;
      // Only the leader records runs, so one still Running belongs to a process that died holding the lock.
      const interrupted = await deps.store.syncRuns.interruptRunning();
      if (interrupted.length > 0) deps.logger.warn({ runs: interrupted.map((r) => r.id) }, 'sync runs left Running by a previous leader closed as Interrupted');
      leading = true;
      view.leader = true;
      await scaler.start();
      // A new leader re-asserts every object once: the one before it may have died mid-pass.
      fullDue = true;
      fullResync.start();
      queue.add('sync');
    },
    async stop() {
      if (!leading) return;
      leading = false;
      view.leader = false;
      fullResync.stop();
      drift.stop();
      await scaler.stop();
    },
  };

  return {
    async start() {
      stopped = false;
      queue.add('sync');
      poll.start();
    },
    async stop() {
      stopped = true;
      view.state = 'Stopped';
      poll.stop();
      // The queue first: a pass finishing during shutdown would otherwise start new watches.
      await queue.shutdown({ drain: true });
      await leaderWork.stop();
      for (const resolve of waiters) resolve();
      waiters = [];
    },
    leaderWork,
    trigger(reason, opts) {
      deps.logger.debug?.({ reason }, 'sync requested');
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        if (opts?.record) recordAsked = true;
        if (!queue.add('sync') && queue.shuttingDown) resolve();
      });
    },
    current: () => current,
    lastError: () => errors,
    status: () => ({ ...view }),
    statusWriter,
  };
}
