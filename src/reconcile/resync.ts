import { systemScheduler, type Scheduler } from './scheduler.ts';

export interface ResyncOptions {
  /** Time between full resyncs (default 10 min). */
  intervalMs?: number;
  /** Fraction (0..1) of the interval randomly added, so replicas and restarts do not resync in step. */
  jitter?: number;
  /** Queues every key (reads the desired state and the inventory; the queue de-duplicates). */
  enqueueAll(): void | Promise<void>;
  /** A failed enqueueAll is reported here and retried at the next tick. */
  onError?(error: unknown): void;
  random?: () => number;
  scheduler?: Scheduler;
}

export interface Resync {
  /** Schedules the first resync one interval from now; a no-op when already started. */
  start(): void;
  /** Cancels the next resync; one already running finishes, and nothing is scheduled after it. */
  stop(): void;
  readonly running: boolean;
  /** Resyncs now (for a webhook or a CLI "sync now"); the periodic schedule is not moved. */
  resyncNow(): Promise<void>;
}

export const DEFAULT_RESYNC_INTERVAL_MS = 10 * 60_000;

/**
 * Level-triggered safety net: whatever events were missed, every key is reconciled again within one
 * interval. The next tick is scheduled only after the previous enqueueAll settled, so ticks never overlap.
 */
export function createResync(opts: ResyncOptions): Resync {
  const intervalMs = opts.intervalMs ?? DEFAULT_RESYNC_INTERVAL_MS;
  const jitter = Math.min(Math.max(opts.jitter ?? 0.1, 0), 1);
  const random = opts.random ?? Math.random;
  const scheduler = opts.scheduler ?? systemScheduler;
  if (!(intervalMs > 0)) throw new RangeError(`resync interval must be positive, got ${intervalMs}`);
  let timer: unknown;
  let running = false;
  // Bumped by start(): a tick from before a stop()/start() pair must not schedule a second chain.
  let epoch = 0;

  async function resyncNow(): Promise<void> {
    try {
      await opts.enqueueAll();
    } catch (err) {
      opts.onError?.(err);
    }
  }

  function scheduleNext(): void {
    const mine = epoch;
    const delay = Math.round(intervalMs * (1 + jitter * random()));
    timer = scheduler.setTimeout(() => {
      timer = undefined;
      void resyncNow().then(() => {
        if (running && mine === epoch) scheduleNext();
      });
    }, delay);
  }

  return {
    start() {
      if (running) return;
      running = true;
      epoch++;
      scheduleNext();
    },
    stop() {
      running = false;
      if (timer !== undefined) scheduler.clearTimeout(timer);
      timer = undefined;
    },
    get running() {
      return running;
    },
    resyncNow,
  };
}
