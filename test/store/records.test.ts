import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../../src/errors/index.ts';
import { auditDigest, createStore, type InventoryEntry } from '../../src/store/index.ts';
import { BATCH_ROWS } from '../../src/store/batches.ts';
import { dropSchema, freshSchemaName, testDrivers, uniqueName } from '../support/store.ts';

const entry = (org: string, name: string, over: Partial<InventoryEntry> = {}): InventoryEntry => ({
  sourceKey: `RunnerPool/kradle-org-${org}/${name}`,
  org,
  target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: `kradle-org-${org}`, name },
  revision: 'r1',
  contentHash: 'h1',
  syncStatus: 'Synced',
  health: 'Healthy',
  conditions: [],
  ...over,
});

const drivers = testDrivers(test);
for (const d of drivers) {
  test(`${d.name}: inventory upserts by source and target, lists by org and source, removes by target`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    const ns = { apiVersion: 'v1', kind: 'Namespace', namespace: null, name: `kradle-org-${org}` };
    await store.inventory.upsert([entry(org, 'a'), entry(org, 'b'), { ...entry(org, 'a'), target: ns }]);
    await store.inventory.upsert([entry(org, 'a', { revision: 'r2', health: 'Degraded' })]);
    const listed = await store.inventory.list({ org });
    t.is(listed.length, 3);
    const a = listed.find((e) => e.target.kind === 'Deployment' && e.target.name === 'a')!;
    t.is(a.revision, 'r2');
    t.is(a.health, 'Degraded');
    t.is(listed.find((e) => e.target.kind === 'Namespace')!.target.namespace, null);
    t.is((await store.inventory.list({ sourceKey: entry(org, 'a').sourceKey })).length, 2);
    await store.inventory.upsert([entry(org, 'b', { syncStatus: 'SyncFailed', reason: 'ApplyFailed' })]);
    t.deepEqual((await store.inventory.list({ org, syncStatus: 'SyncFailed' })).map((e) => [e.target.name, e.reason]), [['b', 'ApplyFailed']]);
    await store.inventory.remove([entry(org, 'b').target, ns]);
    t.deepEqual(await store.inventory.list({ org, syncStatus: 'SyncFailed' }), []);
    t.deepEqual((await store.inventory.list({ org })).map((e) => e.target.name), ['a']);
  });

  // Bulk writes run in batches of rows (a statement per batch, so PGlite's memory stays small); a call still
  // writes everything or nothing.
  test(`${d.name}: an inventory write of more rows than one batch writes them all, and one bad row writes none`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    const many = Array.from({ length: BATCH_ROWS * 2 + 5 }, (_, i) => entry(org, `n${String(i).padStart(5, '0')}`));
    await store.inventory.upsert(many);
    t.deepEqual((await store.inventory.list({ org })).map((e) => e.target.name), many.map((e) => e.target.name));
    // A NUL cannot be stored in jsonb: the third batch fails after two were written.
    const bad = many.map((e, i) => ({ ...e, revision: 'r2', message: i === BATCH_ROWS * 2 + 1 ? 'a\u0000b' : '' }));
    await t.throwsAsync(store.inventory.upsert(bad));
    t.true((await store.inventory.list({ org })).every((e) => e.revision === 'r1'));
    await store.inventory.remove(many.slice(1).map((e) => e.target));
    t.deepEqual((await store.inventory.list({ org })).map((e) => e.target.name), [many[0]!.target.name]);
  });

  // An object another resource takes over (a declared OrgNamespaceBinding replacing its Organization's) moves to
  // its new owner's row; a crash between dropping the old row and writing the new must leave the object in a row.
  test(`${d.name}: an inventory write moves an object to its new owner in one transaction with its removals`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    const [a, b, c] = [entry(org, 'a'), entry(org, 'b'), entry(org, 'c')];
    await store.inventory.upsert([a, b, c]);
    const rows = async () => (await store.inventory.list({ org })).map((e) => `${e.target.name}:${e.sourceKey}:${e.revision}`).sort();
    const before = await rows();
    const taken = { ...a, sourceKey: `OrgNamespaceBinding/kradle-system/${org}`, revision: 'r2' };
    // A NUL cannot be stored in jsonb: the upsert fails after the old owner's row was dropped, in the same call.
    await t.throwsAsync(store.inventory.write([{ ...taken, message: 'a\u0000b' }], { takenOver: [a.target], removed: [c.target] }));
    t.deepEqual(await rows(), before, 'a failed write drops no owner and removes nothing');
    await store.inventory.write([taken, { ...b, revision: 'r2' }], { takenOver: [a.target], removed: [c.target] });
    t.deepEqual(await rows(), [`a:${taken.sourceKey}:r2`, `b:${b.sourceKey}:r2`], 'one row for the object, under its new owner');
    await store.inventory.write([a], { takenOver: [a.target] });
    t.deepEqual(await rows(), [`a:${a.sourceKey}:r1`, `b:${b.sourceKey}:r2`], 'and back');
  });

  test(`${d.name}: sync runs start, finish and list newest first`, async (t) => {
    const store = await d.store();
    const rev = uniqueName('rev');
    const run = await store.syncRuns.start(rev);
    t.is(run.outcome, 'Running');
    t.is(run.finishedAt, null);
    const done = await store.syncRuns.finish(run.id, { outcome: 'ValidationFailed', counts: { documents: 3 }, errors: [{ code: 'SCHEMA', message: 'bad', path: 'a.yaml', line: 2, column: 1 }] });
    t.is(done.outcome, 'ValidationFailed');
    t.truthy(done.finishedAt);
    t.deepEqual(done.errors[0]?.line, 2);
    t.is((await store.syncRuns.latest())?.id !== undefined, true);
    t.true((await store.syncRuns.list({ limit: 10 })).some((r) => r.id === run.id && r.revision === rev));
  });

  test(`${d.name}: sync runs keep a bounded history, and always the newest good run and every running one`, async (t) => {
    // A store of its own: the history is the table's, and other tests of this file add runs to the shared one.
    const schema = d.name === 'postgres' ? freshSchemaName() : undefined;
    const store = createStore({ ...d.options, ...(schema ? { schema } : {}), syncHistory: 3 });
    t.teardown(async () => {
      await store.close();
      if (schema) await dropSchema(schema);
    });
    await store.migrate();
    const good = await store.syncRuns.start('good');
    await store.syncRuns.finish(good.id, { outcome: 'Succeeded', counts: {}, errors: [] });
    const stuck = await store.syncRuns.start('stuck'); // never finished: a pass still under way is never dropped
    const failed: number[] = [];
    for (let i = 0; i < 5; i++) {
      const run = await store.syncRuns.start(`bad-${i}`);
      await store.syncRuns.finish(run.id, { outcome: 'Failed', counts: {}, errors: [{ code: 'APPLY_FAILED', message: `pass ${i}` }] });
      failed.push(run.id);
    }
    const kept = (await store.syncRuns.list({ limit: 100 })).map((r) => r.revision);
    t.deepEqual(kept, ['bad-4', 'bad-3', 'bad-2', 'stuck', 'good']);
    t.is((await store.syncRuns.lastGood())?.id, good.id);
    await t.throwsAsync(store.syncRuns.get(failed[0]!), { message: /not found/ });
    t.is((await store.syncRuns.get(stuck.id)).outcome, 'Running');
  });

  test(`${d.name}: audit log is append-only and stores digests, never values`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    const secret = 'hunter2-token-value';
    const entryIn = { org, actor: 'alice', action: 'secretgrant.create', resource: { kind: 'AgentSecretGrant', name: 'g' }, outcome: 'Succeeded', digest: auditDigest(secret) };
    const saved = await store.audit.append(entryIn);
    t.regex(saved.digest!, /^sha256:[0-9a-f]{64}$/);
    await t.throwsAsync(store.audit.append({ ...entryIn, digest: secret }), { instanceOf: ValidationError });
    t.deepEqual((await store.audit.query({ org })).map((e) => e.id), [saved.id]);
    const rows = await store.query<Record<string, unknown>>('SELECT * FROM audit_log WHERE org = $1', [org]);
    t.false(JSON.stringify(rows).includes(secret));
    await t.throwsAsync(store.query('UPDATE audit_log SET outcome = $1 WHERE org = $2', ['Forged', org]), { message: /append-only/ });
    await t.throwsAsync(store.query('DELETE FROM audit_log WHERE org = $1', [org]), { message: /append-only/ });
    t.is((await store.audit.query({ org }))[0]?.outcome, 'Succeeded');
    t.false('update' in store.audit || 'delete' in store.audit, 'the interface offers no way to change an entry');
  });

  test(`${d.name}: one leader at a time; another takes over after release`, async (t) => {
    const store = await d.store();
    const name = uniqueName('reconciler');
    const first = await store.tryAcquireLeader(name);
    t.truthy(first);
    t.is(await store.tryAcquireLeader(name), undefined);
    const other = await store.tryAcquireLeader(`${name}-other`);
    t.truthy(other, 'locks are per name');
    await other!.release();
    await first!.release();
    const second = await store.tryAcquireLeader(name);
    t.truthy(second);
    await second!.release();
  });
}

async function acquireWhenFree(store: Awaited<ReturnType<(typeof drivers)[number]['store']>>, name: string) {
  for (;;) {
    const lease = await store.tryAcquireLeader(name);
    if (lease) return lease;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const server = drivers.find((d) => d.name === 'postgres');
if (server) {
  test('postgres: the holder backend is terminated: its lease is lost and another session takes over', async (t) => {
    const store = await server.store();
    const other = await server.second();
    const name = uniqueName('leader');
    const lease = (await store.tryAcquireLeader(name))!;
    t.is(await other.tryAcquireLeader(name), undefined);
    await other.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [`kradle-leader:${name}`]);
    await lease.lost;
    const taken = await acquireWhenFree(other, name);
    t.is(await store.tryAcquireLeader(name), undefined, 'the old holder cannot take it back');
    await taken.release();
  });

  test('postgres: two processes contend; exactly one holds; the other takes over when the holder dies', async (t) => {
    const store = await server.store();
    const name = uniqueName('leader');
    const script = fileURLToPath(new URL('../support/leader-holder.ts', import.meta.url));
    const start = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(server.options), name], { stdio: ['ignore', 'pipe', 'inherit'] });
      const line = once(createInterface({ input: child.stdout! }), 'line').then(([l]) => l as string);
      return { child, line };
    };
    const a = start();
    t.is(await a.line, 'held');
    const b = start();
    t.is(await b.line, 'busy');
    await once(b.child, 'exit');
    t.is(await store.tryAcquireLeader(name), undefined);
    a.child.kill('SIGKILL');
    await once(a.child, 'exit');
    const lease = await acquireWhenFree(store, name);
    t.truthy(lease);
    await lease.release();
  });
}
