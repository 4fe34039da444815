import { setTimeout as delay } from 'node:timers/promises';

/** `done`'s value, or false once `ms` pass; the timer is cleared either way. */
export async function within(done: Promise<boolean>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([done, delay(ms, false, { signal: timer.signal }).catch(() => false)]);
  } finally {
    timer.abort();
  }
}
