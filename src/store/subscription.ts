import type { StoreEvent, Subscription } from './types.ts';

const BATCH = 500;

/** Fans wake-ups (NOTIFY, in-process commits) out to subscribers; starts listening on first use. */
export interface Wakeups {
  on(fn: () => void): () => void;
}

export interface SubscriberOptions {
  since(afterSeq: number, opts: { org?: string; limit?: number }): Promise<StoreEvent[]>;
  wakeups: Wakeups;
  pollMs: number;
  afterSeq: number;
  onEvent(e: StoreEvent): void;
  org?: string;
  onError?: (err: unknown) => void;
}

/**
 * A wake-up is only a hint: each one (and a periodic safety poll) re-reads from the last delivered seq,
 * so a lost notification delays an event but never drops it, and one pump at a time keeps order.
 */
export function createSubscriber(o: SubscriberOptions): Subscription {
  let last = o.afterSeq;
  let closed = false;
  let running = false;
  let again = false;

  async function drain(): Promise<void> {
    for (;;) {
      const batch = await o.since(last, { org: o.org, limit: BATCH });
      for (const e of batch) {
        if (closed) return;
        last = e.seq;
        try {
          o.onEvent(e);
        } catch (err) {
          o.onError?.(err);
        }
      }
      if (batch.length < BATCH) return;
    }
  }

  async function pump(): Promise<void> {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await drain();
      } while (again && !closed);
    } catch (err) {
      // The store may be briefly unreachable: the next wake-up or poll resumes from `last`.
      if (!closed) o.onError?.(err);
    } finally {
      running = false;
    }
  }

  const off = o.wakeups.on(() => void pump());
  const timer = setInterval(() => void pump(), o.pollMs);
  timer.unref();
  void pump();
  return {
    close() {
      closed = true;
      off();
      clearInterval(timer);
    },
  };
}
