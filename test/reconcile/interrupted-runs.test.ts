import test from 'ava';
import { createTestRepo } from '../support/git-repo.ts';
import { testDrivers } from '../support/store.ts';
import { createPlanOnlyDriver, createTestSync, orgDocs } from '../support/sync-harness.ts';

// Every case runs on PGlite and, when DATABASE_URL is set, on a PostgreSQL server.
for (const d of testDrivers(test)) {
  test(`${d.name}: a sync run left Running by a dead process is closed as Interrupted when a controller takes the lead`, async (t) => {
    const store = await d.store();
    const repo = createTestRepo();
    const head = repo.commit(orgDocs('gone'), 'add gone');
    // What a process killed mid-pass leaves behind: a run that never finished.
    const orphan = await store.syncRuns.start(head);
    const sync = createTestSync({ repoDir: repo.dir, store, driver: createPlanOnlyDriver(), crds: [] });
    t.teardown(() => sync.stop());
    await sync.start();
    t.true(sync.status().leader);
    await sync.trigger('test');
    const runs = await store.syncRuns.list();
    const closed = runs.find((r) => r.id === orphan.id);
    t.is(closed?.outcome, 'Interrupted');
    t.truthy(closed?.finishedAt);
    t.deepEqual(closed?.errors.map((e) => e.code), ['INTERRUPTED']);
    t.is(runs[0]?.outcome, 'Succeeded', 'the new leader applied the revision again');
    t.false(runs.some((r) => r.outcome === 'Running'));
  });
}
