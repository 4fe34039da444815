// A Scheduler (src/reconcile/scheduler.ts) whose time moves only when the test says so: tests assert
// which delays were asked for and in what order, never how long anything took.
import type { Scheduler } from '../../src/reconcile/index.ts';

interface Timer {
  id: number;
  due: number;
  ms: number;
  fn: () => void;
}

export interface ManualScheduler extends Scheduler {
  /** Every delay ever asked for, in order (cancelled ones included). */
  readonly requested: number[];
  /** Delays of the timers still pending, earliest first. */
  pending(): number[];
  /** Fires the earliest pending timer (moving time to it); false when none is pending. */
  fireNext(): Promise<boolean>;
  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  advance(ms: number): Promise<void>;
}

/** Lets promise callbacks queued by a fired timer run before the test goes on. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function createManualScheduler(): ManualScheduler {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, Timer>();
  const requested: number[] = [];
  const earliest = (): Timer | undefined =>
    [...timers.values()].sort((a, b) => a.due - b.due || a.id - b.id)[0];

  return {
    requested,
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { id, due: now + ms, ms, fn });
      requested.push(ms);
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    pending: () => [...timers.values()].sort((a, b) => a.due - b.due || a.id - b.id).map((t) => t.ms),
    async fireNext() {
      const t = earliest();
      if (!t) return false;
      timers.delete(t.id);
      now = Math.max(now, t.due);
      t.fn();
      await settle();
      return true;
    },
    async advance(ms) {
      const target = now + ms;
      for (let t = earliest(); t && t.due <= target; t = earliest()) {
        timers.delete(t.id);
        now = t.due;
        t.fn();
        await settle();
      }
      now = target;
    },
  };
}
