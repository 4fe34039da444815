import { BadRequestError } from '../errors/index.ts';
import { batches } from './batches.ts';
import { EVENT_COLUMNS, toEvent, type EventRow } from './rows.ts';
import { createSubscriber, type Wakeups } from './subscription.ts';
import type { Events, NewEvent, StoreEvent } from './types.ts';
import type { WriteScope } from './write-scope.ts';

const DEFAULT_LIMIT = 1000;

export interface EventsDeps {
  scope: WriteScope;
  wakeups: Wakeups;
  pollMs: number;
}

export function createEvents({ scope, wakeups, pollMs }: EventsDeps): Events {
  async function since(afterSeq: number, opts: { org?: string; limit?: number } = {}): Promise<StoreEvent[]> {
    if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new BadRequestError(`invalid event sequence ${afterSeq}`);
    const params: unknown[] = [afterSeq, Math.max(1, Math.min(opts.limit ?? DEFAULT_LIMIT, 10_000))];
    const org = opts.org === undefined ? '' : `AND org = $${params.push(opts.org)}`;
    const rows = await scope.read.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE seq > $1 ${org} ORDER BY seq LIMIT $2`,
      params,
    );
    return rows.map(toEvent);
  }

  /**
   * One transaction and one lock for the lot, one INSERT and NOTIFY per batch of rows (batches.ts): a cold pass
   * announces thousands of resources, and a transaction per event (lock, insert, notify, commit) cost it ~4 round
   * trips each. `WITH ORDINALITY` and the ordered insert give seqs in array order.
   */
  async function publishMany(list: readonly NewEvent[]): Promise<StoreEvent[]> {
    for (const e of list) if (!e.type || !e.kind || !e.name) throw new BadRequestError('an event needs a type, a kind and a name');
    if (!list.length) return [];
    const rows = list.map((e) => [e.org, e.type, e.kind, e.namespace ?? null, e.name, e.actor ?? null, e.payload ?? null]);
    const inserted = await scope.write(async (q) => {
      const out: EventRow[] = [];
      for (const batch of batches(rows)) {
        out.push(...(await q.query<EventRow>(
          `WITH e AS (
             INSERT INTO events (org, type, kind, namespace, name, actor, payload)
             SELECT x->>0, x->>1, x->>2, x->>3, x->>4, x->>5, x->6
               FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS a(x, i) ORDER BY i
             RETURNING ${EVENT_COLUMNS}),
           n AS (SELECT pg_notify($2, max(seq)::text) FROM e)
           SELECT e.* FROM e, n ORDER BY e.seq`,
          [JSON.stringify(batch), scope.channel],
        )));
      }
      return out;
    });
    return inserted.map(toEvent);
  }

  return {
    since,
    async publish(e: NewEvent) {
      const [event] = await publishMany([e]);
      return event!;
    },
    publishMany,
    async latestSeq() {
      const [row] = await scope.read.query<{ seq: unknown }>('SELECT coalesce(max(seq), 0) AS seq FROM events');
      return Number(row?.seq ?? 0);
    },
    subscribe: (afterSeq, onEvent, opts = {}) => createSubscriber({ since, wakeups, pollMs, afterSeq, onEvent, ...opts }),
  };
}
