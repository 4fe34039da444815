import { lockKey, type Driver, type Queryable } from './driver.ts';

/** Where a store part reads and writes: the pool at top level, or the enclosing transaction. */
export interface WriteScope {
  /** Runs fn in a transaction that holds the event lock; inside store.transaction, in that transaction. */
  write<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  read: Queryable;
  /** NOTIFY channel for new events. */
  channel: string;
}

export function eventChannel(driver: Driver): string {
  return `kradle_events_${driver.scope}`;
}

/**
 * Every writer takes one transaction-level advisory lock before it allocates a resourceVersion or an
 * event seq, and holds it to commit. So seq order is commit order: a reader that has seen seq N has seen
 * everything before N, which is what lets subscribers resume from a number and never miss an event.
 */
export async function takeEventLock(q: Queryable, driver: Driver): Promise<void> {
  await q.query('SELECT pg_advisory_xact_lock($1, $2)', [...lockKey(driver.scope, 'events')]);
}

export function topLevelScope(driver: Driver, wake: () => void): WriteScope {
  return {
    read: driver,
    channel: eventChannel(driver),
    async write(fn) {
      const result = await driver.transaction(async (tx) => {
        await takeEventLock(tx, driver);
        return fn(tx);
      });
      wake();
      return result;
    },
  };
}

/** Inside store.transaction: the lock is taken at the first write and held until the outer commit. */
export function transactionScope(driver: Driver, tx: Queryable): WriteScope {
  let locked = false;
  return {
    read: tx,
    channel: eventChannel(driver),
    async write(fn) {
      if (!locked) {
        await takeEventLock(tx, driver);
        locked = true;
      }
      return fn(tx);
    },
  };
}
