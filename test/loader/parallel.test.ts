import test from 'ava';
import { readdirSync } from 'node:fs';
import { createLoader, type LoadResult } from '../../src/loader/index.ts';
import { fixtureRepo, FIXTURES } from './fixture-repo.ts';

// Worker threads parse only large loads; parallelFrom: 1 and parseOnMainThread: false hand every file to them.
const cases = ['config-repo', ...readdirSync(`${FIXTURES}broken`).sort().map((c) => `broken/${c}`)];

const comparable = (r: LoadResult) =>
  r.ok ? { ok: true, resources: [...r.state.resources.values()], orgs: r.state.orgs() } : { ok: false, errors: r.errors };

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
  }
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
