import test from 'ava';
import { readdirSync } from 'node:fs';
import { createLoader, prestartParseWorkers, summaryOf, type CheckResult, type LoadResult } from '../../src/loader/index.ts';
import { WORKER_ONLY_BYTES } from '../../src/loader/parse-pool.ts';
import { damagePackedObject } from '../support/git-repo.ts';
import { fixtureRepo, FIXTURES } from './fixture-repo.ts';

// Worker threads parse only large loads; parallelFrom: 1 and parseOnMainThread: false hand every file to them.
const cases = ['config-repo', ...readdirSync(`${FIXTURES}broken`).sort().map((c) => `broken/${c}`)];

const comparable = (r: LoadResult) =>
  r.ok ? { ok: true, resources: [...r.state.resources.values()], orgs: r.state.orgs(), warnings: r.warnings } : { ok: false, errors: r.errors, warnings: r.warnings };

test('parsing on worker threads gives the same desired state and the same errors, positions included', async (t) => {
  for (const c of cases) {
    const repo = fixtureRepo(c);
    t.teardown(repo.remove);
    const snap = await repo.snapshot();
    const parallel = await createLoader({ parallelFrom: 1, parseOnMainThread: false }).load(snap);
    const serial = await createLoader({ parallelFrom: Infinity }).load(snap);
    t.is(parallel.stats.parsedOnWorkers, new Set(snap.files.filter((f) => !f.symlink).map((f) => f.oid)).size, c);
    t.is(serial.stats.parsedOnWorkers, 0);
    t.deepEqual(comparable(parallel), comparable(serial), c);
    // The model takes files as they are parsed, in whatever order they come: the same answer.
    const taken = createLoader({ parallelFrom: 1, earlyBatch: 1 });
    const early = await taken.load(snap);
    t.deepEqual(comparable(early), comparable(serial), c);
    t.deepEqual({ ...early.stats, durationMs: 0, parsedOnWorkers: 0 }, { ...serial.stats, durationMs: 0, parsedOnWorkers: 0 }, c);
    // And the model it leaves answers the next load as a serial one does.
    const again = await taken.load(snap);
    t.deepEqual(comparable(again), comparable(serial), c);
  }
});

test('check gives the errors a load gives, and a summary of the state it would build; a load after it on the same loader builds that state', async (t) => {
  const summary = (r: LoadResult | CheckResult) => {
    if (!r.ok) return { ok: false, errors: r.errors, warnings: r.warnings };
    const s = 'state' in r ? summaryOf(r.state) : { revision: r.revision, resources: r.resources, kinds: r.kinds, orgs: r.orgs };
    return { ok: true, ...s, warnings: r.warnings };
  };
  for (const c of cases) {
    const repo = fixtureRepo(c);
    t.teardown(repo.remove);
    const snap = await repo.snapshot();
    const serial = await createLoader({ parallelFrom: Infinity }).load(snap);
    // On workers (which then make no hash parts) and on this thread alone.
    for (const deps of [{ parallelFrom: 1, earlyBatch: 1 }, { parallelFrom: Infinity }]) {
      const loader = createLoader(deps);
      const checked = await loader.check(snap);
      t.deepEqual(summary(checked), summary(serial), c);
      t.deepEqual(comparable(await loader.load(snap)), comparable(serial), c);
    }
  }
  // The fixtures hold both outcomes.
  t.true(cases.length > 1);
});

test('workers started ahead of a load parse it, with the same state as a serial load, whether they are online yet or not', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const snap = await repo.snapshot();
  prestartParseWorkers(2);
  // Online before the load, as when a command starts them before resolving its revision.
  await new Promise((r) => setTimeout(r, 500));
  const parallel = await createLoader({ parallelFrom: 1, parseOnMainThread: false }).load(snap);
  const serial = await createLoader({ parallelFrom: Infinity }).load(snap);
  t.is(parallel.stats.parsedOnWorkers, new Set(snap.files.filter((f) => !f.symlink).map((f) => f.oid)).size);
  t.deepEqual(comparable(parallel), comparable(serial));
  // Taken at once: started again while the first ones still boot, then loaded without waiting.
  prestartParseWorkers(1);
  const again = await createLoader({ parallelFrom: 1, parseOnMainThread: false }).load(snap);
  t.deepEqual(comparable(again), comparable(serial));
});

test('a file parsed on a worker is cached like any other: the next revision parses only what changed', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const loader = createLoader({ parallelFrom: 1, parseOnMainThread: false });
  const first = await loader.load(await repo.snapshot());
  t.true(first.ok);
  t.true(first.stats.parsedOnWorkers! > 0);
  repo.commit({ 'orgs/initech/repositories/tps-reports.yaml': null });
  const second = await loader.load(await repo.snapshot());
  t.is(second.stats.parsedFiles, 0);
  t.is(second.stats.cachedFiles, first.stats.files - 1);
});

/** A Team whose description makes the file `bytes` long. */
const team = (name: string, bytes = 0) =>
  `apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata:\n  name: ${name}\nspec:\n  organizationRef: acme\n  displayName: ${name}\n` +
  `  description: "${'x'.repeat(Math.max(1, bytes - 140))}"\n  members: [alice]\n`;

test('workers read the blobs of a packed repository themselves: the same state and errors, a big file among small ones parsed alone', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const files: Record<string, string> = { 'orgs/acme/teams/big.yaml': team('big', WORKER_ONLY_BYTES + 1000) };
  for (let i = 0; i < 150; i++) files[`orgs/acme/teams/t-${i}.yaml`] = team(`t-${i}`, 300 + i);
  files['orgs/acme/teams/t-7.yaml'] += '  members: [bob]\n';
  files['orgs/acme/teams/t-9.yaml'] += '  labels: [unclosed\n';
  repo.commit(files, 'many teams');
  // Deltas against each other: the workers resolve delta chains from the shared pack.
  repo.git('repack', '-a', '-d', '-q', '-f', '--depth=20', '--window=50');
  const snap = await repo.snapshot();
  const parallel = await createLoader({ parallelFrom: 1, parseOnMainThread: false }).load(snap);
  const serial = await createLoader({ parallelFrom: Infinity }).load(snap);
  t.false(parallel.ok);
  t.deepEqual(comparable(parallel), comparable(serial));
  t.is(parallel.stats.parsedOnWorkers, new Set(snap.files.filter((f) => !f.symlink).map((f) => f.oid)).size);
  // By default the main thread takes batches too (never the big file): the same again.
  const shared = await createLoader({ parallelFrom: 1 }).load(snap);
  t.deepEqual(comparable(shared), comparable(serial));
  t.true(shared.stats.parsedOnWorkers! >= 1);
});

test('a damaged packed blob fails a parallel load with the REPO_CORRUPT error a serial load gives', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const oid = repo.git('rev-parse', 'HEAD:orgs/acme/teams/platform.yaml');
  damagePackedObject(repo, oid);
  const serial = await t.throwsAsync(createLoader({ parallelFrom: Infinity }).load(await repo.snapshot()));
  const parallel = await t.throwsAsync(createLoader({ parallelFrom: 1 }).load(await repo.snapshot()));
  t.is((parallel as { code?: string }).code, 'REPO_CORRUPT');
  t.is(parallel!.message, serial!.message);
  t.true(parallel!.message.includes(oid));
});
