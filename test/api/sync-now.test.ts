// POST /api/sync queues a pass and answers at once; ?wait= is for clients that want the outcome.
import test from 'ava';
import { testDrivers, type TestDriver } from '../support/store.ts';
import { client, makeToken, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSecrets, fakeSync, fakeWriter } from '../support/api-fakes.ts';

for (const d of testDrivers(test)) suite(d);

function suite(d: TestDriver) {
  /** A sync port whose pass ends only when the test says so. */
  async function setup() {
    const store = await d.store();
    const config = fakeConfig([doc('Organization', 'acme', 'acme', { displayName: 'Acme', slug: 'acme' })]);
    const sync = fakeSync();
    const passes: (() => void)[] = [];
    sync.trigger = (reason) => {
      sync.triggers.push(reason);
      return new Promise<void>((resolve) => passes.push(resolve));
    };
    const api = await startApi({ store, config, sync, writer: fakeWriter(config), secrets: fakeSecrets() });
    const platform = client(api.url, await makeToken(api.app, '*', 'admin'));
    return { api, sync, passes, platform };
  }

  test(`${d.name}: POST /api/sync answers 202 while the pass is still running`, async (t) => {
    const { api, sync, passes, platform } = await setup();
    const res = await platform.post('/api/sync');
    t.is(res.status, 202);
    t.like(res.body, { triggered: true, completed: false, state: 'Idle' });
    t.deepEqual(sync.triggers, ['api']);
    t.is(passes.length, 1, 'the pass was queued and has not ended');
    passes[0]!();
    await api.close();
  });

  test(`${d.name}: ?wait= answers 202 when the pass outlasts it, 200 with the outcome when it ends in time`, async (t) => {
    const { api, passes, platform } = await setup();
    const timedOut = await platform.post('/api/sync?wait=1');
    t.is(timedOut.status, 202);
    t.false(timedOut.body.completed);
    const waiting = platform.post('/api/sync?wait=60');
    while (passes.length < 2) await new Promise((r) => setTimeout(r, 10));
    passes.forEach((end) => end());
    const done = await waiting;
    t.is(done.status, 200);
    t.true(done.body.completed);
    for (const bad of ['wait=-1', 'wait=abc', 'wait=1.5']) t.is((await platform.post(`/api/sync?${bad}`)).status, 400, bad);
    await api.close();
  });
}

for (const d of testDrivers(test)) {
  test(`${d.name}: a run's errors are capped at 100 in status and summaries, and paged in full at their own route`, async (t) => {
    const store = await d.store();
    const config = fakeConfig([doc('Organization', 'acme', 'acme', { displayName: 'Acme', slug: 'acme' })]);
    const errors = Array.from({ length: 250 }, (_, i) => ({ code: 'DANGLING_REF', message: `ref ${i} is missing`, path: `orgs/acme/teams/t${i}.yaml`, line: 1, column: 1 }));
    const run = await store.syncRuns.start('bad');
    const finished = await store.syncRuns.finish(run.id, { outcome: 'ValidationFailed', counts: { errors: 250 }, errors });
    const sync = fakeSync({ state: 'Failed', lastRun: finished });
    const api = await startApi({ store, config, sync, writer: fakeWriter(config), secrets: fakeSecrets() });
    t.teardown(() => api.close());
    const platform = client(api.url, await makeToken(api.app, '*', 'admin'));
    const status = (await platform.get('/api/sync')).body;
    t.is(status.lastRun.errors.length, 100);
    t.is(status.lastRun.errorCount, 250);
    const runs = (await platform.get('/api/sync/runs')).body.items;
    const listed = runs.find((r: { id: number }) => r.id === run.id);
    t.is(listed.errors.length, 100);
    t.is(listed.errorCount, 250);
    const summary = (await client(api.url, await makeToken(api.app, 'acme', 'reader')).get('/api/orgs/acme/summary')).body;
    t.is(summary.lastSyncRun.errors.length, 100);
    t.is(summary.lastSyncRun.errorCount, 250);

    const seen: string[] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const page: any = (await platform.get(`/api/sync/runs/${run.id}/errors?offset=${offset}&limit=90`)).body;
      t.is(page.total, 250);
      seen.push(...page.items.map((e: { message: string }) => e.message));
      offset = page.nextOffset;
    }
    t.deepEqual(seen, errors.map((e) => e.message));
    t.is((await platform.get('/api/sync/runs/999999/errors')).status, 404);
    t.is((await platform.get('/api/sync/runs/abc/errors')).status, 400);
    t.is((await client(api.url, await makeToken(api.app, 'acme', 'reader')).get(`/api/sync/runs/${run.id}/errors`)).status, 403);
  });
}

for (const d of testDrivers(test)) {
  test(`${d.name}: POST /api/previews answers the pull-request comment as Markdown when asked`, async (t) => {
    const store = await d.store();
    const config = fakeConfig([doc('Organization', 'acme', 'acme', { displayName: 'Acme', slug: 'acme' })]);
    const api = await startApi({ store, config, sync: fakeSync(), writer: fakeWriter(config), secrets: fakeSecrets() });
    t.teardown(() => api.close());
    const token = await makeToken(api.app, '*', 'reader');
    const res = await fetch(`${api.url}/api/previews`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/markdown' }, body: JSON.stringify({ base: 'main', head: 'feature' }) });
    t.is(res.status, 200);
    t.regex(res.headers.get('content-type') ?? '', /^text\/markdown/);
    t.regex(await res.text(), /^<!-- kradle-preview -->\n### ✅ Kradle preview: valid — 0 created, 0 changed, 0 deleted, 0 unchanged/);
    const json = await client(api.url, token).post('/api/previews', { base: 'main', head: 'feature' });
    t.like(json.body, { base: 'main', head: 'feature', valid: true, plan: { created: [], deleted: [] } });
  });
}
