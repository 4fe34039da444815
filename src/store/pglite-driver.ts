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
 * PGlite is one single-user Postgres inside this process: session locks are held in memory (a second
 * process cannot open the same data directory), and NOTIFY is heard through PGlite's own listen.
 */
export function createPgliteDriver(dataDir: string): Driver {
  const ready = (async () => {
    if (!dataDir.includes('://')) await mkdir(dataDir, { recursive: true });
    return PGlite.create(dataDir);
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
