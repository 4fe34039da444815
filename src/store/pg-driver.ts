import pg from 'pg';
import { KradleError, StoreUnavailableError } from '../errors/index.ts';
import type { Driver, LockKey, ScriptRunner, Session, SessionLock } from './driver.ts';
import { listenWithReconnect } from './pg-listen.ts';

export interface PgDriverOptions {
  connectionString: string;
  /** Schema to live in (set through search_path); created on first migrate. Default: public. */
  schema?: string;
  poolSize?: number;
  /** How often a held leader lock checks its connection, in ms. */
  leaseCheckMs?: number;
  /**
   * Deadline of one query, in ms (default 20 s): a frozen or unreachable server fails the query with
   * StoreUnavailableError instead of hanging the request that waits on it. Getting a connection (a new one,
   * or a pooled one freed by a busy moment) has the same deadline.
   */
  queryTimeoutMs?: number;
}

export const DEFAULT_QUERY_TIMEOUT_MS = 20_000;

/**
 * SQLSTATE classes that mean the server cannot serve us now: 08 connection exceptions, 53 insufficient
 * resources, 57P admin/crash shutdown; socket errors and pg's own connection messages are the same. Either is
 * a 503 to retry, never a 500.
 */
function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error) || err instanceof KradleError) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return /^(08|53|57P)/.test(code);
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true;
  return CONNECTION_FAILURE.test(err.message);
}

/** What pg and pg-pool say when the connection, not the SQL, failed. */
const CONNECTION_FAILURE = /Query read timeout|timeout exceeded when trying to connect|Connection terminated|not queryable|Client was closed|Connection ended/i;

/** Rethrows a connection-level failure as StoreUnavailableError (its text may hold the server address: not kept). */
async function deadlined<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (isUnavailable(err)) throw new StoreUnavailableError(undefined, { cause: err });
    throw err;
  }
}

/**
 * One query with a deadline that a stalled event loop cannot trip: when the timer fires, the check waits one
 * turn (setImmediate runs after pending I/O), so an answer that arrived while the process was busy (an
 * embedded PGlite, a large parse) is read before the query is called late. pg's own query_timeout fires
 * before such I/O and failed healthy queries.
 */
function queryWithin(client: pg.ClientBase, ms: number, sql: string, params?: unknown[]): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => setImmediate(() => settle(() => reject(new Error('Query read timeout')))), ms);
    client.query(sql, params).then((r) => settle(() => resolve(r)), (err: unknown) => settle(() => reject(err)));
  });
}

function runner(client: pg.PoolClient, ms: number): ScriptRunner {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      return (await queryWithin(client, ms, sql, params)).rows as T[];
    },
    async exec(script: string) {
      await queryWithin(client, ms, script);
    },
  };
}

async function inTransaction<T>(client: pg.PoolClient, ms: number, fn: (tx: ScriptRunner) => Promise<T>): Promise<T> {
  const tx = runner(client, ms);
  await tx.exec('BEGIN');
  try {
    const result = await fn(tx);
    await tx.exec('COMMIT');
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
  const timeoutMs = opts.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const clientConfig = {
    connectionString: opts.connectionString,
    options: `-c search_path=${schema}`,
    keepAlive: true,
    connectionTimeoutMillis: timeoutMs,
  };
  const pool = new pg.Pool({ ...clientConfig, max: opts.poolSize ?? 10 });
  // An idle client whose backend dies emits on the pool; the pool drops it, and without a listener node would crash.
  pool.on('error', () => undefined);
  const listeners: (() => Promise<void>)[] = [];
  const leases = new Set<SessionLock>();

  async function withClient<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await deadlined(() => pool.connect());
    let failed: unknown;
    try {
      return await deadlined(() => fn(client));
    } catch (err) {
      failed = err;
      throw err;
    } finally {
      // A client whose query timed out may still have it running: destroyed, so the server rolls back an
      // open transaction when it notices, instead of committing it once it answers again.
      client.release(failed instanceof StoreUnavailableError ? (failed.cause as Error) : undefined);
    }
  }

  // The deadline is client-side: it fires even when the server is stopped (SIGSTOP) and answers nothing.
  const session: Session = {
    query: (sql, params) => withClient((c) => runner(c, timeoutMs).query(sql, params)),
    exec: (script) => withClient((c) => runner(c, timeoutMs).exec(script)),
    transaction: (fn) => withClient((c) => inTransaction(c, timeoutMs, fn)),
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
      const lease = await tryLock(pool, key, holder, opts.leaseCheckMs ?? 5000, timeoutMs);
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
          const locked: Session = { ...runner(client, timeoutMs), transaction: (f) => inTransaction(client, timeoutMs, f) };
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
async function tryLock(pool: pg.Pool, key: LockKey, holder: string, checkMs: number, timeoutMs: number): Promise<SessionLock | undefined> {
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
  // A frozen server answers nothing: the heartbeat's deadline ends the lease instead of holding it blind.
  const heartbeat = setInterval(() => queryWithin(client, Math.min(timeoutMs, Math.max(5 * checkMs, 5000)), 'SELECT 1').catch(onError), checkMs);
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
