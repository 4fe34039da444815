import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { createStore, listMigrations } from '../../src/store/index.ts';
import { databaseUrl, dropSchema, freshSchemaName } from '../support/store.ts';

/** Runs `kradle migrate` in process and returns its exit code and printed lines. */
async function kradleMigrate(args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => void lines.push(parts.join(' '));
  try {
    return { code: await main(['migrate', ...args]), lines };
  } finally {
    console.log = log;
  }
}

test.serial('pglite: `kradle migrate` applies every migration, then nothing on a second run', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kradle-migrate-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const ids = await listMigrations();
  t.true(ids.length >= 4);
  const first = await kradleMigrate(['--data-dir', dir]);
  t.is(first.code, 0);
  t.deepEqual(first.lines.filter((l) => l.startsWith('applied ')), ids.map((id) => `applied ${id}`));
  const second = await kradleMigrate(['--data-dir', dir]);
  t.is(second.code, 0);
  t.deepEqual(second.lines, ['nothing to apply (pglite)']);
});

if (databaseUrl) {
  test('postgres: two stores migrating at once apply each migration once; a second run applies nothing', async (t) => {
    const schema = freshSchemaName();
    t.teardown(() => dropSchema(schema));
    const a = createStore({ databaseUrl, schema });
    const b = createStore({ databaseUrl, schema });
    t.teardown(async () => {
      await a.close();
      await b.close();
    });
    const [ra, rb] = await Promise.all([a.migrate(), b.migrate()]);
    t.deepEqual([...ra, ...rb].sort(), await listMigrations());
    t.deepEqual(await a.migrate(), []);
    const recorded = await a.query<{ id: string }>('SELECT id FROM kradle_migrations ORDER BY id');
    t.deepEqual(recorded.map((r) => r.id), await listMigrations());
  });

  test.serial('postgres: `kradle migrate --database-url` prints what it applied, then nothing', async (t) => {
    const schema = freshSchemaName();
    t.teardown(() => dropSchema(schema));
    const first = await kradleMigrate(['--database-url', databaseUrl!, '--schema', schema]);
    t.is(first.code, 0);
    t.is(first.lines.filter((l) => l.startsWith('applied ')).length, (await listMigrations()).length);
    t.deepEqual((await kradleMigrate(['--database-url', databaseUrl!, '--schema', schema])).lines, ['nothing to apply (postgres)']);
  });
}
