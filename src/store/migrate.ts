import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { lockKey, type Driver } from './driver.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Every .sql file of the folder, in name order; its id is the file name without `.sql`. */
export async function listMigrations(dir = MIGRATIONS_DIR): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort().map((f) => f.slice(0, -4));
}

/**
 * Applies pending migrations, each in its own transaction with its id recorded. The whole run holds a
 * session advisory lock, so two processes starting at once apply each migration exactly once.
 */
export async function runMigrations(driver: Driver, dir = MIGRATIONS_DIR): Promise<string[]> {
  return driver.withLock(lockKey(driver.scope, 'migrate'), async (session) => {
    await session.exec(`CREATE TABLE IF NOT EXISTS kradle_migrations (
      id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await session.query<{ id: string }>('SELECT id FROM kradle_migrations')).map((r) => r.id));
    const applied: string[] = [];
    for (const id of await listMigrations(dir)) {
      if (done.has(id)) continue;
      const script = await readFile(`${dir}${id}.sql`, 'utf8');
      await session.transaction(async (tx) => {
        await tx.exec(script);
        await tx.query('INSERT INTO kradle_migrations (id) VALUES ($1)', [id]);
      });
      applied.push(id);
    }
    return applied;
  });
}
