import type { Logger } from 'pino';
import type { Cursors } from '../../store/types.ts';

/**
 * Tracks which events the dispatcher has finished with and persists the highest seq below which
 * every event is done. Deliveries finish out of order (retries back off), so the cursor only moves
 * past an event once it and every earlier one are done; a restart resumes from there and delivery
 * records keep what was already sent from being sent twice.
 */
export function createProgress(cursors: Cursors, name: string, log: Logger) {
  const pending = new Set<number>();
  let highest = 0;
  let saved = 0;
  let writing: Promise<unknown> = Promise.resolve();

  function flush(): void {
    // Events arrive in seq order, so the oldest pending one is the first in insertion order.
    const oldest = pending.values().next();
    const low = oldest.done ? highest : oldest.value - 1;
    if (low <= saved) return;
    saved = low;
    writing = writing
      .then(() => cursors.advance(name, low))
      .catch((err) => log.warn({ err, cursor: name, seq: low }, 'webhook cursor not saved; a restart re-checks these events'));
  }

  return {
    /** The seq the dispatcher resumes from: recorded before any event is read. */
    begin(seq: number): void {
      highest = saved = seq;
    },
    started(seq: number): void {
      pending.add(seq);
      if (seq > highest) highest = seq;
    },
    finished(seq: number): void {
      pending.delete(seq);
      flush();
    },
    /** Resolves when every cursor write queued so far has landed. */
    settled: () => writing.then(() => undefined),
  };
}
