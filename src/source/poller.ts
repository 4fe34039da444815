import type { ConfigSource } from './types.ts';

export interface PollerOptions {
  source: Pick<ConfigSource, 'fetch'>;
  intervalMs?: number;
  /** Fraction of the interval added or removed at random, so replicas do not poll in step. */
  jitter?: number;
  /** Called with each new commit, awaited before the next fetch; a throw is retried on the next poll. */
  onRevision(commit: string): void | Promise<void>;
  onError?(err: unknown): void;
}

export interface Poller {
  /** Polls now, then every interval (± jitter). */
  start(): void;
  /** Stops the timer and waits for a poll in flight. */
  stop(): Promise<void>;
  /**
   * Polls on demand (a webhook arrived). Never overlaps a poll in flight: triggers during one are
   * coalesced into a single follow-up poll, whose completion they all await.
   */
  trigger(): Promise<void>;
}

export function createPoller(opts: PollerOptions): Poller {
  const { source, intervalMs = 60_000, jitter = 0.1 } = opts;
  let last: string | undefined;
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;

  async function pollOnce(): Promise<void> {
    try {
      const { commit } = await source.fetch();
      if (commit === last) return;
      await opts.onRevision(commit);
      last = commit;
    } catch (err) {
      opts.onError?.(err);
    }
  }

  function run(): Promise<void> {
    if (!running) {
      running = pollOnce().finally(() => (running = undefined));
      return running;
    }
    queued ??= running.then(() => {
      queued = undefined;
      return run();
    });
    return queued;
  }

  function schedule(): void {
    if (stopped) return;
    const spread = intervalMs * jitter * (Math.random() * 2 - 1);
    timer = setTimeout(() => void run().then(schedule), Math.max(0, intervalMs + spread));
    timer.unref();
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      void run().then(schedule);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await queued;
      await running;
    },
    trigger: run,
  };
}
