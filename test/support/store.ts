// Gives store tests a migrated Store per driver: PGlite in memory, shared by every test of a file (it costs
// ~2 s and ~850 MB to start), and a real server when DATABASE_URL is set, in a fresh schema dropped at the end.
import { randomBytes } from 'node:crypto';
import type { TestFn } from 'ava';
import { createStore, type Store, type StoreOptions } from '../../src/store/index.ts';

export type DriverName = 'pglite' | 'postgres';

export interface TestDriver {
  name: DriverName;
  /** How the shared store was opened (server: the URL and the file's schema), for child processes. */
  options: StoreOptions;
  /** The file's shared store, opened and migrated on first use. */
  store(): Promise<Store>;
  /** Another store on the same database (server: same schema), for two-process scenarios; closed at the end. */
  second(opts?: Partial<StoreOptions>): Promise<Store>;
}

export const databaseUrl = process.env.DATABASE_URL || undefined;

/** A name no other test of the run uses: isolate tests by org (and so namespace) names. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function freshSchemaName(): string {
  return `kradle_t_${randomBytes(6).toString('hex')}`;
}

/** Drops a test schema through a throwaway store. */
export async function dropSchema(schema: string): Promise<void> {
  if (!databaseUrl) return;
  const admin = createStore({ databaseUrl, poolSize: 1 });
  try {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await admin.close();
  }
}

function driver(test: TestFn, name: DriverName): TestDriver {
  const schema = freshSchemaName();
  const opts: StoreOptions =
    name === 'pglite' ? { dataDir: 'memory://', pollIntervalMs: 200 } : { databaseUrl, schema, pollIntervalMs: 200, leaseCheckMs: 500 };
  let shared: Promise<Store> | undefined;
  const others: Store[] = [];
  test.after.always(async () => {
    await Promise.all(others.map((s) => s.close()));
    if (shared) await (await shared).close();
    if (name === 'postgres') await dropSchema(schema);
  });
  return {
    name,
    options: opts,
    store() {
      shared ??= (async () => {
        const s = createStore(opts);
        await s.migrate();
        return s;
      })();
      return shared;
    },
    async second(extra = {}) {
      if (name === 'pglite') throw new Error('PGlite is single-process: there is no second store on the same data');
      await this.store();
      const s = createStore({ ...opts, ...extra });
      others.push(s);
      return s;
    },
  };
}

/** The drivers available in this run: PGlite always, Postgres when DATABASE_URL is set. */
export function testDrivers(test: TestFn): TestDriver[] {
  return [driver(test, 'pglite'), ...(databaseUrl ? [driver(test, 'postgres')] : [])];
}

/** A valid runtime document (a PullRequest) of an org, with optional labels and extra spec fields. */
export function pullRequest(org: string, name: string, labels: Record<string, string> = {}, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'kradle.a5c.ai/v1alpha1',
    kind: 'PullRequest',
    metadata: { name, labels },
    spec: { organizationRef: org, repository: 'web', title: `change ${name}`, ...spec },
  };
}
