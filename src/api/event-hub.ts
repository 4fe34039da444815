import type { Logger } from 'pino';
import type { Events, StoreEvent, Subscription } from '../store/types.ts';

/** One consumer of the stream; the hub calls offer() synchronously and never waits for it. */
export interface HubClient {
  /** Only events this returns true for are offered (org filtering). */
  accepts(e: StoreEvent): boolean;
  offer(e: StoreEvent): void;
}

export interface EventHub {
  /** Registers a client for live events; call before reading history so nothing falls between. */
  join(client: HubClient): Promise<void>;
  leave(client: HubClient): void;
  readonly size: number;
  close(): void;
}

/**
 * One store subscription per app, fanned out to every SSE client. Why not one per client: every
 * subscription re-reads from Postgres on each wake-up, so 1,000 clients would mean 1,000 queries
 * per event; a shared one reads each event once. Clients resume from older ids by reading history
 * themselves (store.events.since) and de-duplicate by seq, so the hub only serves live events.
 */
export function createEventHub(events: Events, log: Logger): EventHub {
  const clients = new Set<HubClient>();
  let sub: Subscription | undefined;
  let starting: Promise<void> | undefined;

  function fanOut(e: StoreEvent): void {
    for (const c of clients) {
      try {
        if (c.accepts(e)) c.offer(e);
      } catch (err) {
        log.warn({ err }, 'sse client failed to take an event');
      }
    }
  }

  async function start(): Promise<void> {
    const from = await events.latestSeq();
    sub = events.subscribe(from, fanOut);
  }

  return {
    async join(client) {
      clients.add(client);
      starting ??= start();
      await starting;
    },
    leave(client) {
      clients.delete(client);
    },
    get size() {
      return clients.size;
    },
    close() {
      sub?.close();
      sub = undefined;
      starting = undefined;
      clients.clear();
    },
  };
}
