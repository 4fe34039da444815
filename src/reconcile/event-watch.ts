import type { Events, StoreEvent } from '../store/types.ts';
import type { LoopOptions } from './loop.ts';

/**
 * A loop's wake-up source from the store's event stream: the seq is read before the keys are listed and the
 * subscription resumes from it, so a record written while the listing runs still reaches the loop.
 */
export function watchStoreEvents<K extends string>(
  events: Pick<Events, 'latestSeq' | 'subscribe'>,
  keysOf: (event: StoreEvent, add: (key: K) => void) => void,
  onError?: (err: unknown) => void,
): Required<Pick<LoopOptions<K>, 'cursor' | 'watch'>> {
  return {
    cursor: () => events.latestSeq(),
    async watch(add, from) {
      // Without a cursor (a caller starting the watch by hand) the stream starts now.
      const sub = events.subscribe(from ?? (await events.latestSeq()), (e) => keysOf(e, add), { onError });
      return () => sub.close();
    },
  };
}
