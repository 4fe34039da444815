import { createWorkQueue, type WorkQueue } from '../reconcile/index.ts';
import type { Store, StoreEvent, Subscription } from '../store/types.ts';

export interface EventConsumerDeps {
  store: Pick<Store, 'events' | 'cursors'>;
  /** The persisted cursor's name: where this consumer got to survives restarts and leader changes. */
  cursor: string;
  handle(e: StoreEvent): Promise<void>;
  /** Events this consumer writes itself: they wake nothing. */
  ignore?: (e: StoreEvent) => boolean;
  onError?: (err: unknown) => void;
}

export interface EventConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  idle(): Promise<void>;
}

const KEY = 'events';
const BATCH = 500;

/**
 * A leader-only consumer of the event stream on the reconcile engine: one queue key drains the events after a
 * persisted cursor (back-off on failure, never two drains at once), advancing it event by event. A first start
 * begins at the newest event, not at the whole history.
 */
export function createEventConsumer(deps: EventConsumerDeps): EventConsumer {
  let queue: WorkQueue<string> | undefined;
  let sub: Subscription | undefined;

  async function drain(): Promise<'success' | 'requeue'> {
    const from = (await deps.store.cursors.get(deps.cursor)) ?? 0;
    const events = await deps.store.events.since(from, { limit: BATCH });
    for (const e of events) {
      await deps.handle(e);
      await deps.store.cursors.advance(deps.cursor, e.seq);
    }
    return events.length === BATCH ? 'requeue' : 'success';
  }

  return {
    async start() {
      if (queue) return;
      if ((await deps.store.cursors.get(deps.cursor)) === undefined) await deps.store.cursors.advance(deps.cursor, await deps.store.events.latestSeq());
      const q = (queue = createWorkQueue<string>({ concurrency: 1, handler: drain, onError: (_k, err) => deps.onError?.(err) }));
      q.add(KEY);
      sub = deps.store.events.subscribe((await deps.store.cursors.get(deps.cursor)) ?? 0, (e) => { if (!deps.ignore?.(e)) q.add(KEY); }, { onError: (err) => deps.onError?.(err) });
    },
    async stop() {
      sub?.close();
      const q = queue;
      queue = undefined;
      await q?.shutdown();
    },
    idle: async () => { await queue?.whenIdle(); },
  };
}
