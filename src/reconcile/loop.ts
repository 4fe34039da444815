import { createWorkQueue, type FailureInfo, type HandlerResult, type WorkQueue, type WorkQueueOptions } from './queue.ts';
import { createResync } from './resync.ts';
import type { Scheduler } from './scheduler.ts';

export interface LoopOptions<K extends string> {
  /** Names the loop in logs and in the leadership manager. */
  name: string;
  handler(key: K, signal: AbortSignal): Promise<HandlerResult>;
  /** Every key to visit: at each start and at every resync (the level-triggered safety net). */
  enqueueAll?(add: (key: K) => void): void | Promise<void>;
  /** Time between resyncs; no resync without it. */
  resyncIntervalMs?: number;
  /**
   * Read at each start before the first enqueueAll and handed to watch (an event seq, a resourceVersion):
   * a watch that resumes from it sees whatever changed while the keys were listed, so nothing falls between
   * the listing and the watch.
   */
  cursor?(): number | Promise<number>;
  /**
   * Starts whatever wakes the loop between resyncs (a store subscription, a watch); returns how to stop it.
   * Called on each start, after the first resync was queued, with the cursor read before it.
   */
  watch?(add: (key: K) => void, from?: number): (() => void) | Promise<() => void>;
  concurrency?: number;
  backoff?: WorkQueueOptions<K>['backoff'];
  waitingDelayMs?: number;
  onError?(key: K, error: unknown, info: FailureInfo): void;
  /** A failed enqueueAll of a resync; retried at the next one. */
  onResyncError?(error: unknown): void;
  scheduler?: Scheduler;
}

/** A reconcile loop that can be started and stopped again (on each gain and loss of the leader lock). */
export interface Loop<K extends string> {
  readonly name: string;
  /** Creates a fresh queue, queues every key (enqueueAll), starts the resync clock and the watch. */
  start(): Promise<void>;
  /** Stops the watch and the resync, refuses new keys and aborts the handlers' signal; resolves when they return. */
  stop(): Promise<void>;
  /** Queues a key; false while stopped. */
  add(key: K): boolean;
  addAfter(key: K, ms: number): boolean;
  readonly running: boolean;
  /** Resolves when nothing waits and nothing runs (delayed keys are not waited for). */
  whenIdle(): Promise<void>;
}

/**
 * The engine's work queue, resync clock and wake-up source joined into one start/stop unit: what a
 * leader-only reconciler registers with the leadership manager. Back-off, de-duplication and per-key
 * serialization are the queue's; nothing here adds timers of its own.
 */
export function createLoop<K extends string>(opts: LoopOptions<K>): Loop<K> {
  let queue: WorkQueue<K> | undefined;
  let unwatch: (() => void) | undefined;
  const add = (key: K) => queue?.add(key) ?? false;
  const enqueueAll = async () => {
    await opts.enqueueAll?.((key) => void add(key));
  };
  const resync = opts.resyncIntervalMs
    ? createResync({ intervalMs: opts.resyncIntervalMs, enqueueAll, onError: opts.onResyncError, scheduler: opts.scheduler })
    : undefined;

  async function stop(): Promise<void> {
    const q = queue;
    queue = undefined;
    unwatch?.();
    unwatch = undefined;
    resync?.stop();
    await q?.shutdown({ drain: false });
  }

  return {
    name: opts.name,
    async start() {
      if (queue) return;
      queue = createWorkQueue<K>({
        handler: opts.handler, concurrency: opts.concurrency, backoff: opts.backoff, waitingDelayMs: opts.waitingDelayMs,
        onError: opts.onError, scheduler: opts.scheduler,
      });
      try {
        const from = await opts.cursor?.();
        await enqueueAll();
        unwatch = await opts.watch?.((key) => void add(key), from);
      } catch (err) {
        await stop();
        throw err;
      }
      resync?.start();
    },
    stop,
    add,
    addAfter: (key, ms) => queue?.addAfter(key, ms) ?? false,
    get running() {
      return queue !== undefined;
    },
    whenIdle: () => queue?.whenIdle() ?? Promise.resolve(),
  };
}
