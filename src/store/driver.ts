/** Anything that runs one parameterized statement and returns its rows. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** A connection that can also run a multi-statement script (migrations). */
export interface ScriptRunner extends Queryable {
  exec(script: string): Promise<void>;
}

/** A session that can open transactions: the pool itself, or the one client holding a session lock. */
export interface Session extends ScriptRunner {
  transaction<T>(fn: (tx: ScriptRunner) => Promise<T>): Promise<T>;
}

/** A session-level advisory lock; `lost` resolves when the holding connection goes away. */
export interface SessionLock {
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

/** Lock keys are the two-int form of pg advisory locks: (class, object). */
export type LockKey = readonly [number, number];

/** What the store needs from PGlite or pg: the same SQL runs on both. */
export interface Driver extends Session {
  readonly name: 'pglite' | 'postgres';
  /** The schema the store lives in; scopes lock keys and notification channels. */
  readonly scope: string;
  /** Calls onWake for every NOTIFY on channel (and after a reconnect, when some may have been missed). */
  listen(channel: string, onWake: () => void): Promise<() => Promise<void>>;
  /** Takes a session lock without waiting; undefined when another session holds it. */
  tryLock(key: LockKey, holder: string): Promise<SessionLock | undefined>;
  /** Runs fn on one session while it holds the lock, waiting for the lock first. */
  withLock<T>(key: LockKey, fn: (session: Session) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const KRADLE_LOCK_CLASS = 0x4b52; // "KR": keeps our advisory locks apart from other applications' keys

/** A stable lock key for a name within a scope (FNV-1a, as a signed 32-bit int for pg's int4 form). */
export function lockKey(scope: string, name: string): LockKey {
  let h = 0x811c9dc5;
  for (const ch of `${scope}:${name}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193);
  }
  return [KRADLE_LOCK_CLASS, h | 0];
}
