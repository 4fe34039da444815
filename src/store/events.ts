import { BadRequestError } from '../errors/index.ts';
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

  return {
    since,
    async publish(e: NewEvent) {
      if (!e.type || !e.kind || !e.name) throw new BadRequestError('an event needs a type, a kind and a name');
      const [row] = await scope.write((q) =>
        q.query<EventRow>(
          `WITH e AS (
             INSERT INTO events (org, type, kind, namespace, name, actor, payload)
             VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING ${EVENT_COLUMNS})
           SELECT e.*, pg_notify($8, e.seq::text) FROM e`,
          [e.org, e.type, e.kind, e.namespace ?? null, e.name, e.actor ?? null, JSON.stringify(e.payload ?? null), scope.channel],
        ),
      );
      return toEvent(row!);
    },
    async latestSeq() {
      const [row] = await scope.read.query<{ seq: unknown }>('SELECT coalesce(max(seq), 0) AS seq FROM events');
      return Number(row?.seq ?? 0);
    },
    subscribe: (afterSeq, onEvent, opts = {}) => createSubscriber({ since, wakeups, pollMs, afterSeq, onEvent, ...opts }),
  };
}
