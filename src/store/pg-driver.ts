import pg from 'pg';
import type { Driver, LockKey, ScriptRunner, Session, SessionLock } from './driver.ts';
import { listenWithReconnect } from './pg-listen.ts';

export interface PgDriverOptions {
  connectionString: string;
  /** Schema to live in (set through search_path); created on first migrate. Default: public. */
  schema?: string;
  poolSize?: number;
  /** How often a held leader lock checks its connection, in ms. */
  leaseCheckMs?: number;
}

function runner(client: pg.PoolClient): ScriptRunner {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      return (await client.query(sql, params)).rows as T[];
    },
    async exec(script: string) {
      await client.query(script);
    },
  };
}

async function inTransaction<T>(client: pg.PoolClient, fn: (tx: ScriptRunner) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn(runner(client));
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** A pg Pool against a real server; LISTEN runs on a client of its own, leader locks hold a pooled client. */
export function createPgDriver(opts: PgDriverOptions): Driver {
  const schema = opts.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  const clientConfig = {
    connectionString: opts.connectionString,
    options: `-c search_path=${schema}`,
    keepAlive: true,
  };
  const pool = new pg.Pool({ ...clientConfig, max: opts.poolSize ?? 10 });
  // An idle client whose backend dies emits on the pool; the pool drops it, and without a listener node would crash.
  pool.on('error', () => undefined);
  const listeners: (() => Promise<void>)[] = [];
  const leases = new Set<SessionLock>();

  async function withClient<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }

  const session: Session = {
    async query<T>(sql: string, params?: unknown[]) {
      return (await pool.query(sql, params)).rows as T[];
    },
    async exec(script: string) {
      await pool.query(script);
    },
    transaction: (fn) => withClient((c) => inTransaction(c, fn)),
  };

  return {
    name: 'postgres',
    scope: schema,
    ...session,
    async listen(channel, onWake) {
      const stop = await listenWithReconnect(clientConfig, channel, onWake);
      listeners.push(stop);
      return stop;
    },
    async tryLock(key, holder) {
      const lease = await tryLock(pool, key, holder, opts.leaseCheckMs ?? 5000);
      if (lease) {
        leases.add(lease);
        void lease.lost.then(() => leases.delete(lease));
      }
      return lease;
    },
    withLock: (key, fn) =>
      withClient(async (client) => {
        await client.query('SELECT pg_advisory_lock($1, $2)', [...key]);
        try {
          if (schema !== 'public') await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
          const locked: Session = { ...runner(client), transaction: (f) => inTransaction(client, f) };
          return await fn(locked);
        } finally {
          await client.query('SELECT pg_advisory_unlock($1, $2)', [...key]);
        }
      }),
    async close() {
      await Promise.all(listeners.splice(0).map((stop) => stop()));
      // pool.end() waits for every checked-out client, and a lease holds one until released.
      await Promise.all([...leases].map((lease) => lease.release()));
      await pool.end();
    },
  };
}

/** Holds one pooled client for the lease: the lock lives exactly as long as that session. */
async function tryLock(pool: pg.Pool, key: LockKey, holder: string, checkMs: number): Promise<SessionLock | undefined> {
  const client = await pool.connect();
  let markLost!: () => void;
  const lost = new Promise<void>((resolve) => (markLost = resolve));
  let done = false;
  const finish = (err?: Error) => {
    if (done) return;
    done = true;
    clearInterval(heartbeat);
    markLost();
    client.release(err ?? true);
  };
  // Errors on a checked-out client are emitted on it: a terminated backend lands here.
  const onError = (err: Error) => finish(err);
  client.on('error', onError);
  const heartbeat = setInterval(() => client.query('SELECT 1').catch(onError), checkMs);
  heartbeat.unref();
  try {
    const [row] = (await client.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [...key])).rows;
    if (!row?.ok) {
      done = true;
      clearInterval(heartbeat);
      client.off('error', onError);
      client.release();
      return undefined;
    }
    // Visible in pg_stat_activity, so an operator (or a test) can see who leads.
    await client.query(`SELECT set_config('application_name', $1, false)`, [`kradle-leader:${holder}`.slice(0, 63)]);
  } catch (err) {
    finish(err as Error);
    throw err;
  }
  return {
    lost,
    async release() {
      if (done) return;
      await client.query('SELECT pg_advisory_unlock($1, $2)', [...key]).catch(() => undefined);
      // Destroy rather than return to the pool: the client carries the leader's application_name.
      finish();
    },
  };
}
