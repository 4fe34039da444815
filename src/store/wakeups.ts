import type { Driver } from './driver.ts';
import type { Wakeups } from './subscription.ts';

/**
 * Wakes subscribers on NOTIFY (from any process on a server, or PGlite's own) and on commits made in this
 * process. Listening starts with the first subscriber; if it cannot start, the safety poll still delivers.
 */
export function createWakeups(driver: Driver, channel: string): Wakeups & { fire(): void; close(): void } {
  const subscribers = new Set<() => void>();
  let listening: Promise<(() => Promise<void>) | undefined> | undefined;
  const fire = () => {
    for (const fn of subscribers) fn();
  };
  return {
    fire,
    on(fn) {
      subscribers.add(fn);
      listening ??= driver.listen(channel, fire).catch(() => undefined);
      return () => subscribers.delete(fn);
    },
    close() {
      subscribers.clear();
      void listening?.then((stop) => stop?.());
    },
  };
}
