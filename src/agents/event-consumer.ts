import { createLoop } from '../reconcile/index.ts';
import type { Store, StoreEvent } from '../store/types.ts';

export interface EventConsumerDeps {
  store: Pick<Store, 'events' | 'cursors'>;
  /** The persisted cursor's name: where this consumer got to survives restarts and leader changes. */
  cursor: string;
  /**
   * Handles one event; true when it wrote something. The cursor is persisted past such an event at once; past
   * the others once per batch, so the thousands of events a sync publishes cost two queries per batch, not one
   * per event (a crash replays only events that wrote nothing).
   */
  handle(e: StoreEvent): Promise<boolean>;
  /** Events this consumer writes itself: they wake nothing. */
  ignore?: (e: StoreEvent) => boolean;
  onError?: (err: unknown) => void;
}

export interface EventConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  idle(): Promise<void>;
}

const KEY = 'events' as const;
const BATCH = 500;

/**
 * A leader-only consumer of the event stream on the reconcile engine: one queue key drains the events after a
 * persisted cursor (back-off on failure, never two drains at once), advancing it event by event. A first start
 * begins at the newest event, not at the whole history.
 */
export function createEventConsumer(deps: EventConsumerDeps): EventConsumer {
  async function drain(): Promise<'success' | 'requeue'> {
    const from = (await deps.store.cursors.get(deps.cursor)) ?? 0;
    const events = await deps.store.events.since(from, { limit: BATCH });
    let unsaved: number | undefined;
    for (const e of events) {
      if (await deps.handle(e)) {
        await deps.store.cursors.advance(deps.cursor, e.seq);
        unsaved = undefined;
      } else unsaved = e.seq;
    }
    if (unsaved !== undefined) await deps.store.cursors.advance(deps.cursor, unsaved);
    return events.length === BATCH ? 'requeue' : 'success';
  }

  const loop = createLoop<typeof KEY>({
    name: `events:${deps.cursor}`,
    concurrency: 1,
    handler: drain,
    // The subscription resumes from the persisted cursor, so whatever was published before it started is drained.
    async cursor() {
      const at = await deps.store.cursors.get(deps.cursor);
      if (at !== undefined) return at;
      const latest = await deps.store.events.latestSeq();
      await deps.store.cursors.advance(deps.cursor, latest);
      return latest;
    },
    enqueueAll: (add) => add(KEY),
    watch(add, from) {
      const sub = deps.store.events.subscribe(from ?? 0, (e) => { if (!deps.ignore?.(e)) add(KEY); }, { onError: (err) => deps.onError?.(err) });
      return () => sub.close();
    },
    onError: (_key, err) => deps.onError?.(err),
  });

  return {
    start: () => loop.start(),
    stop: () => loop.stop(),
    idle: () => loop.whenIdle(),
  };
}
