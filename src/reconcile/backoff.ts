export interface BackoffOptions {
  /** Delay after the first failure. */
  baseMs?: number;
  /** Hard upper bound: jitter never pushes a delay past it. */
  capMs?: number;
  factor?: number;
  /** Fraction (0..1) of each delay that is randomly taken off, so failing keys do not retry in lockstep. */
  jitter?: number;
  /** Injected in tests to make delays deterministic. */
  random?: () => number;
}

/** Per-key exponential back-off: each failure of a key doubles (by `factor`) its next delay, up to the cap. */
export interface Backoff {
  /** Counts one more failure of `key` and returns the delay before its next attempt. */
  next(key: string): number;
  /** Forgets the failures of `key` (after a success). */
  reset(key: string): void;
  /** Failures counted for `key` since its last reset. */
  attempts(key: string): number;
}

export const DEFAULT_BACKOFF_BASE_MS = 100;
export const DEFAULT_BACKOFF_CAP_MS = 5 * 60_000;

export function createBackoff(opts: BackoffOptions = {}): Backoff {
  const baseMs = opts.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
  const capMs = opts.capMs ?? DEFAULT_BACKOFF_CAP_MS;
  const factor = opts.factor ?? 2;
  const jitter = Math.min(Math.max(opts.jitter ?? 0.2, 0), 1);
  const random = opts.random ?? Math.random;
  if (!(baseMs > 0) || !(capMs >= baseMs) || !(factor >= 1)) {
    throw new RangeError(`invalid back-off: baseMs ${baseMs}, capMs ${capMs}, factor ${factor}`);
  }
  const failures = new Map<string, number>();

  return {
    next(key) {
      const n = failures.get(key) ?? 0;
      failures.set(key, n + 1);
      // factor ** n overflows to Infinity after ~1000 failures; Math.min keeps it at the cap.
      const raw = Math.min(capMs, baseMs * factor ** n);
      // Subtractive jitter keeps the cap a true bound and the first delay at most baseMs.
      return Math.round(raw * (1 - jitter * random()));
    },
    reset(key) {
      failures.delete(key);
    },
    attempts(key) {
      return failures.get(key) ?? 0;
    },
  };
}
