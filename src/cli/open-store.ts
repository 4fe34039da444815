import { createStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import { lockDir } from './dir-lock.ts';

export const STORE_OPTIONS = {
  'database-url': { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

export const STORE_USAGE = 'store: --database-url URL (or DATABASE_URL), else PGlite in --data-dir (or KRADLE_DATA_DIR, default .kradle/data)';

/**
 * The store a command opens directly: Postgres at --database-url / DATABASE_URL (an explicit --data-dir means
 * PGlite even when DATABASE_URL is set), else PGlite, which admits one process: its data directory is locked
 * first, so a command beside a running server fails at once naming it rather than writing what it never sees.
 */
export async function withCliStore<T>(name: string, values: { 'database-url'?: string; 'data-dir'?: string; schema?: string }, fn: (store: Store) => Promise<T>, env = process.env): Promise<T> {
  const databaseUrl = values['database-url'] ?? (values['data-dir'] === undefined ? env.DATABASE_URL || undefined : undefined);
  const dataDir = values['data-dir'] ?? (env.KRADLE_DATA_DIR || '.kradle/data');
  const lock = databaseUrl ? undefined : lockDir(dataDir, `kradle ${name}`, `stop it first${name === 'token' ? ', or create the token through it: KRADLE_SERVER=<its URL> KRADLE_TOKEN=<an admin token> kradle token ...' : ''}`);
  try {
    const store = databaseUrl ? createStore({ databaseUrl, schema: values.schema }) : createStore({ dataDir, schema: values.schema });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  } finally {
    lock?.release();
  }
}
