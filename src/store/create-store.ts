import { createSchemaValidator, type SchemaValidator } from '../schema/index.ts';
import { createAuditLog } from './audit.ts';
import { createCursors } from './cursors.ts';
import { lockKey, type Driver, type Queryable } from './driver.ts';
import { createEvents } from './events.ts';
import { createInventory } from './inventory.ts';
import { runMigrations } from './migrate.ts';
import { createResourceStatuses } from './resource-status.ts';
import { createPgDriver } from './pg-driver.ts';
import { createPgliteDriver } from './pglite-driver.ts';
import { createResources } from './resources.ts';
import { createSyncRuns } from './sync-runs.ts';
import type { Store } from './types.ts';
import { createWakeups } from './wakeups.ts';
import { eventChannel, topLevelScope, transactionScope } from './write-scope.ts';

export interface StoreOptions {
  /** A PostgreSQL URL; without it the store runs on PGlite in dataDir. */
  databaseUrl?: string;
  /** PGlite data directory (`memory://` keeps it in memory). Default `.kradle/data`. */
  dataDir?: string;
  /** Postgres schema to live in, through search_path (tests use one per file). Default `public`. */
  schema?: string;
  poolSize?: number;
  /** Subscribers re-read at least this often even without a wake-up, in ms. Default 1000. */
  pollIntervalMs?: number;
  /** A held leader lock checks its connection this often, in ms. Default 5000. */
  leaseCheckMs?: number;
  /** Deadline of one query on a server (default 20 s), after which it fails with StoreUnavailableError. */
  queryTimeoutMs?: number;
  validator?: SchemaValidator;
  /** Finished sync runs kept (the newest good one is always kept too). Default SYNC_HISTORY (1000). */
  syncHistory?: number;
}

/** The runtime store: PGlite when no databaseUrl is given, a pg Pool otherwise; one SQL for both. */
export function createStore(opts: StoreOptions = {}): Store {
  const driver: Driver = opts.databaseUrl
    ? createPgDriver({ connectionString: opts.databaseUrl, schema: opts.schema, poolSize: opts.poolSize, leaseCheckMs: opts.leaseCheckMs, queryTimeoutMs: opts.queryTimeoutMs })
    : createPgliteDriver(opts.dataDir ?? '.kradle/data');
  const validator = opts.validator ?? createSchemaValidator();
  const wakeups = createWakeups(driver, eventChannel(driver));
  const pollMs = opts.pollIntervalMs ?? 1000;
  const scope = topLevelScope(driver, wakeups.fire);
  const events = createEvents({ scope, wakeups, pollMs });

  return {
    driver: driver.name,
    migrate: () => runMigrations(driver),
    resources: createResources(scope, validator),
    events,
    inventory: createInventory(driver),
    statuses: createResourceStatuses(scope),
    syncRuns: createSyncRuns(driver, opts.syncHistory),
    audit: createAuditLog(driver),
    cursors: createCursors(driver),
    async tryAcquireLeader(name) {
      const lock = await driver.tryLock(lockKey(driver.scope, `leader:${name}`), name);
      return lock && { name, lost: lock.lost, release: () => lock.release() };
    },
    query: <T>(sql: string, params?: unknown[]) => driver.query<T>(sql, params),
    async transaction(fn) {
      const result = await driver.transaction((tx: Queryable) => {
        const txScope = transactionScope(driver, tx);
        const txEvents = createEvents({ scope: txScope, wakeups, pollMs });
        return fn({
          query: <T>(sql: string, params?: unknown[]) => tx.query<T>(sql, params),
          resources: createResources(txScope, validator),
          // Subscriptions outlive the transaction, so they read through the store.
          events: { ...txEvents, subscribe: events.subscribe },
        });
      });
      wakeups.fire();
      return result;
    },
    async ping() {
      await driver.query('SELECT 1');
    },
    async close() {
      wakeups.close();
      await driver.close();
    },
  };
}
