import { isKradleError, type ErrorDisposition } from '../errors/index.ts';
import { createBackoff, type Backoff, type BackoffOptions } from './backoff.ts';
import { systemScheduler, type Scheduler } from './scheduler.ts';

/** What a handler asks for next: done, run again after back-off, or run again after a fixed delay. */
export type HandlerResult = 'success' | 'requeue' | { requeueAfterMs: number };

export interface FailureInfo {
  disposition: ErrorDisposition;
  /** Consecutive failures of the key, this one included (0 for a stalled key: its count is reset). */
  attempts: number;
  /** When the key runs again; absent for a stalled key, which waits for the next add. */
  retryInMs?: number;
}

export interface WorkQueueOptions<K extends string> {
  /** Keys processed at the same time (default 4). A key never runs twice at once. */
  concurrency?: number;
  /** Back-off of failed keys: an instance, or options for `createBackoff` (base 100 ms, cap 5 min). */
  backoff?: Backoff | BackoffOptions;
  /** Fixed delay before a key whose error is `waiting` runs again (default 10 s). */
  waitingDelayMs?: number;
  handler(key: K, signal: AbortSignal): Promise<HandlerResult>;
  /** Told about every failure, with what the queue will do about it; for logs and metrics. */
  onError?(key: K, error: unknown, info: FailureInfo): void;
  scheduler?: Scheduler;
}

export interface WorkQueue<K extends string> {
  /** Queues `key` unless it already waits; false once shut down. */
  add(key: K): boolean;
  /** Queues `key` after `ms`; an earlier pending delay for the same key wins. False once shut down. */
  addAfter(key: K, ms: number): boolean;
  /** Keys waiting to run (a key re-added while it runs counts once). */
  readonly length: number;
  /** Keys running now. */
  readonly processing: number;
  /** Keys with a pending delayed add (back-off, waiting, requeueAfter). */
  readonly delayed: number;
  readonly shuttingDown: boolean;
  /** Resolves when nothing waits and nothing runs (delayed adds are not waited for). */
  whenIdle(): Promise<void>;
  /**
   * Refuses new adds, drops waiting and delayed keys (the next full resync finds them again) and
   * resolves once running handlers return. `drain: false` aborts their signal first.
   */
  shutdown(opts?: { drain?: boolean }): Promise<void>;
}

export function createWorkQueue<K extends string>(opts: WorkQueueOptions<K>): WorkQueue<K> {
  return new KeyedWorkQueue(opts);
}

class KeyedWorkQueue<K extends string> implements WorkQueue<K> {
  private readonly concurrency: number;
  private readonly backoff: Backoff;
  private readonly waitingDelayMs: number;
  private readonly scheduler: Scheduler;
  private readonly abort = new AbortController();
  /** FIFO of keys ready to start; `head` avoids O(n) shifts on large queues. */
  private order: K[] = [];
  private head = 0;
  /** Keys that must run (once more): in `order`, or running now and re-added. */
  private readonly dirty = new Set<K>();
  private readonly active = new Map<K, Promise<void>>();
  private readonly timers = new Map<K, { handle: unknown; due: number }>();
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly opts: WorkQueueOptions<K>) {
    this.concurrency = opts.concurrency ?? 4;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${opts.concurrency}`);
    }
    const b = opts.backoff;
    this.backoff = b && 'next' in b ? b : createBackoff(b as BackoffOptions | undefined);
    this.waitingDelayMs = opts.waitingDelayMs ?? 10_000;
    this.scheduler = opts.scheduler ?? systemScheduler;
  }

  get length(): number {
    return this.dirty.size;
  }
  get processing(): number {
    return this.active.size;
  }
  get delayed(): number {
    return this.timers.size;
  }
  get shuttingDown(): boolean {
    return this.closed;
  }

  add(key: K): boolean {
    if (this.closed) return false;
    if (this.dirty.has(key)) return true;
    this.dirty.add(key);
    // A running key is re-queued when its run ends, so it never runs twice at once.
    if (!this.active.has(key)) this.order.push(key);
    this.pump();
    return true;
  }

  addAfter(key: K, ms: number): boolean {
    if (this.closed) return false;
    if (!(ms > 0)) return this.add(key);
    const due = this.scheduler.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.due <= due) return true;
    if (pending) this.scheduler.clearTimeout(pending.handle);
    const handle = this.scheduler.setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    this.timers.set(key, { handle, due });
    return true;
  }

  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async shutdown({ drain = true }: { drain?: boolean } = {}): Promise<void> {
    this.closed = true;
    for (const { handle } of this.timers.values()) this.scheduler.clearTimeout(handle);
    this.timers.clear();
    this.order = [];
    this.head = 0;
    this.dirty.clear();
    if (!drain) this.abort.abort(new Error('work queue shut down'));
    await Promise.allSettled([...this.active.values()]);
    this.notifyIdle();
  }

  private pump(): void {
    while (!this.closed && this.active.size < this.concurrency && this.head < this.order.length) {
      const key = this.order[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.order.length) {
        this.order = this.order.slice(this.head);
        this.head = 0;
      }
      this.dirty.delete(key);
      this.start(key);
    }
  }

  private start(key: K): void {
    // This run supersedes a pending delayed add: its own outcome decides the next one.
    const pending = this.timers.get(key);
    if (pending) {
      this.scheduler.clearTimeout(pending.handle);
      this.timers.delete(key);
    }
    const run = this.run(key).finally(() => {
      this.active.delete(key);
      if (this.dirty.has(key) && !this.closed) this.order.push(key);
      this.pump();
      this.notifyIdle();
    });
    this.active.set(key, run);
  }

  private async run(key: K): Promise<void> {
    let result: HandlerResult;
    try {
      result = await this.opts.handler(key, this.abort.signal);
    } catch (err) {
      this.fail(key, err);
      return;
    }
    if (result === 'success') {
      this.backoff.reset(key);
    } else if (result === 'requeue') {
      this.addAfter(key, this.backoff.next(key));
    } else {
      this.backoff.reset(key);
      this.addAfter(key, result.requeueAfterMs);
    }
  }

  private fail(key: K, err: unknown): void {
    if (this.abort.signal.aborted) return; // hard stop: the error is the abort itself
    const disposition: ErrorDisposition = isKradleError(err) ? err.disposition : 'retry';
    let retryInMs: number | undefined;
    if (disposition === 'stalled') {
      this.backoff.reset(key);
    } else {
      retryInMs = disposition === 'waiting' ? this.waitingDelayMs : this.backoff.next(key);
      this.addAfter(key, retryInMs);
    }
    const info: FailureInfo = { disposition, attempts: this.backoff.attempts(key), retryInMs };
    try {
      this.opts.onError?.(key, err, info);
    } catch {
      // A failing observer must not stop the queue.
    }
  }

  private isIdle(): boolean {
    return this.active.size === 0 && (this.closed || this.head >= this.order.length);
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
