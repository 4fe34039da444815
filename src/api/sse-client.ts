import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Events, StoreEvent } from '../store/types.ts';
import type { HubClient } from './event-hub.ts';

export interface SseClientOptions {
  res: ServerResponse;
  events: Events;
  /** Only this org's events; undefined for every event (platform tokens on /api/events). */
  org?: string;
  /** False: events go without an `event:` line, so EventSource.onmessage receives them all (`data.type` says which). */
  named: boolean;
  /** Send what comes after this seq: the client's Last-Event-ID, or the newest event when the stream was answered. */
  lastEventId: number;
  bufferLimit: number;
  heartbeatMs: number;
  log: Logger;
  onClose(reason: string): void;
}

const HISTORY_PAGE = 500;

export function formatEvent(e: StoreEvent, named = true): string {
  const data = { seq: e.seq, type: e.type, org: e.org, kind: e.kind, namespace: e.namespace, name: e.name, resourceVersion: e.resourceVersion, payload: e.payload, createdAt: e.createdAt };
  return `id: ${e.seq}\n${named ? `event: ${e.type}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
}

/**
 * One SSE connection. Live events are queued (bounded) and written as the socket drains; a client
 * whose queue overflows is closed with a logged reason so it never holds memory or slows the hub.
 * Every write is de-duplicated by seq, which is what makes history + live joins gap- and dup-free.
 */
export function createSseClient(opts: SseClientOptions): HubClient & { start(): Promise<void>; close(reason: string): void } {
  const { res, org, bufferLimit, log } = opts;
  const queue: StoreEvent[] = [];
  let lastSent = opts.lastEventId;
  let catchingUp = true;
  let waitingDrain = false;
  let closed = false;
  const heartbeat = setInterval(() => !closed && res.write(': heartbeat\n\n'), opts.heartbeatMs);
  heartbeat.unref();

  function write(e: StoreEvent): boolean {
    lastSent = e.seq;
    return res.write(formatEvent(e, opts.named));
  }

  function flush(): void {
    while (!closed && !catchingUp && !waitingDrain && queue.length) {
      const e = queue.shift()!;
      if (e.seq <= lastSent) continue;
      if (!write(e)) {
        waitingDrain = true;
        res.once('drain', () => {
          waitingDrain = false;
          flush();
        });
      }
    }
  }

  function close(reason: string): void {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    queue.length = 0;
    opts.onClose(reason);
    res.end();
  }

  async function drained(): Promise<void> {
    if (res.writableNeedDrain) await new Promise<void>((resolve) => res.once('drain', () => resolve()));
  }

  return {
    accepts: (e) => org === undefined || e.org === org,
    offer(e) {
      if (closed || e.seq <= lastSent) return;
      queue.push(e);
      if (queue.length > bufferLimit) {
        log.warn({ org, buffered: queue.length, lastSent }, 'sse client dropped: buffer overflow (client too slow)');
        close('buffer overflow');
        return;
      }
      flush();
    },
    async start() {
      for (;;) {
        const page = await opts.events.since(lastSent, { org, limit: HISTORY_PAGE });
        for (const e of page) if (!closed && e.seq > lastSent) write(e);
        if (closed || page.length < HISTORY_PAGE) break;
        await drained();
      }
      catchingUp = false;
      flush();
    },
    close,
  };
}
