import { mkdir } from 'node:fs/promises';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Driver, LockKey, ScriptRunner, Session, SessionLock } from './driver.ts';

function runner(db: PGlite | Transaction): ScriptRunner {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      return (await db.query<T>(sql, params)).rows;
    },
    async exec(script: string) {
      await db.exec(script);
    },
  };
}

/**
 * PGlite runs Postgres in this process, so what Postgres keeps in memory is the controller's RSS, and its
 * WebAssembly memory never shrinks. Postgres's defaults are for a server of its own: 128 MB of shared buffers
 * (resident once the tables outgrow them, ~200 MB of RSS with 20,000 resources against ~130 MB at 32 MB, at no
 * cost a bench could see: the files below them are in the OS page cache) and up to 1 GB of WAL before a
 * checkpoint, which under `memory://` lives in this process too.
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB', '-c', 'max_wal_size=64MB', '-c', 'min_wal_size=32MB'];

/**
 * PGlite is one single-user Postgres inside this process: session locks are held in memory (a second
 * process cannot open the same data directory), and NOTIFY is heard through PGlite's own listen.
 */
export function createPgliteDriver(dataDir: string): Driver {
  const ready = (async () => {
    if (!dataDir.includes('://')) await mkdir(dataDir, { recursive: true });
    return PGlite.create(dataDir, { startParams: START_PARAMS });
  })();
  const held = new Map<string, () => void>();
  let chain: Promise<unknown> = Promise.resolve();

  const session: Session = {
    async query<T>(sql: string, params?: unknown[]) {
      return runner(await ready).query<T>(sql, params);
    },
    async exec(script: string) {
      await runner(await ready).exec(script);
    },
    async transaction(fn) {
      return (await ready).transaction((tx) => fn(runner(tx)));
    },
  };

  return {
    name: 'pglite',
    scope: 'public',
    ...session,
    async listen(channel, onWake) {
      const db = await ready;
      const unlisten = await db.listen(channel, () => onWake());
      return async () => {
        if (!db.closed) await unlisten();
      };
    },
    async tryLock(key: LockKey): Promise<SessionLock | undefined> {
      const id = key.join(':');
      if (held.has(id)) return undefined;
      let markLost!: () => void;
      const lost = new Promise<void>((resolve) => (markLost = resolve));
      held.set(id, markLost);
      return {
        lost,
        async release() {
          if (held.get(id) === markLost) held.delete(id);
        },
      };
    },
    withLock(_key, fn) {
      // One process, so serializing callers in memory is the whole lock.
      const run = chain.then(() => fn(session));
      chain = run.catch(() => undefined);
      return run;
    },
    async close() {
      for (const markLost of held.values()) markLost();
      held.clear();
      const db = await ready;
      if (!db.closed) await db.close();
    },
  };
}
