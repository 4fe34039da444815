import test from 'ava';
import { testDrivers, type TestDriver } from '../support/store.ts';
import { client, makeToken, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSecrets, fakeSync, fakeWriter } from '../support/api-fakes.ts';

// Every case runs on PGlite and, when DATABASE_URL is set, on a PostgreSQL server.
for (const d of testDrivers(test)) suite(d);

function suite(d: TestDriver) {
  async function setup(extra: Parameters<typeof fakeConfig>[0] = []) {
    const store = await d.store();
    const org = `o${Math.random().toString(36).slice(2, 8)}`;
    const config = fakeConfig([
      doc('Organization', org, org, { displayName: org, slug: org }),
      ...['a', 'b', 'c', 'd', 'e'].map((n, i) => doc('Repository', org, `repo-${n}`, { visibility: 'private' }, { tier: i < 2 ? 'gold' : 'silver' })),
      ...extra.map((d) => ({ ...d, spec: { ...d.spec, organizationRef: org } })),
    ]);
    const writer = fakeWriter(config);
    const api = await startApi({ store, config, sync: fakeSync(), writer, secrets: fakeSecrets() });
    const c = client(api.url, await makeToken(api.app, org, 'writer', 'alice'));
    return { api, store, config, writer, org, c };
  }

  test(`${d.name}: config lists page with limit/continue and filter by label selector`, async (t) => {
    const { api, org, c } = await setup();
    const p1 = await c.get(`/api/orgs/${org}/resources?kind=Repository&limit=2`);
    t.deepEqual(p1.body.items.map((r: any) => r.metadata.name), ['repo-a', 'repo-b']);
    const p2 = await c.get(`/api/orgs/${org}/resources?kind=repositories&limit=2&continue=${p1.body.continue}`);
    t.deepEqual(p2.body.items.map((r: any) => r.metadata.name), ['repo-c', 'repo-d']);
    const p3 = await c.get(`/api/orgs/${org}/resources?kind=Repository&limit=2&continue=${p2.body.continue}`);
    t.deepEqual(p3.body.items.map((r: any) => r.metadata.name), ['repo-e']);
    t.is(p3.body.continue, undefined);
    const gold = await c.get(`/api/orgs/${org}/resources?kind=Repository&labelSelector=${encodeURIComponent('tier in (gold)')}`);
    t.deepEqual(gold.body.items.map((r: any) => r.metadata.name), ['repo-a', 'repo-b']);
    t.is((await c.get(`/api/orgs/${org}/resources?kind=Nope`)).status, 400);
    t.is((await c.get(`/api/orgs/${org}/resources?kind=Repository&limit=0`)).status, 400);
    t.is((await c.get(`/api/orgs/${org}/resources?kind=Repository&labelSelector=${encodeURIComponent('a in b')}`)).status, 400);
    await api.close();
  });

  test(`${d.name}: config get: desired document with inventory status, ETag and If-None-Match, 404 in the envelope`, async (t) => {
    const { api, store, org, c } = await setup();
    await store.inventory.upsert([{
      sourceKey: `Repository/kradle-org-${org}/repo-a`, org, revision: 'rev-1', contentHash: 'h', syncStatus: 'Synced', health: 'Healthy', conditions: [],
      target: { apiVersion: 'v1', kind: 'ConfigMap', namespace: `kradle-org-${org}`, name: 'repo-a' },
    }]);
    const got = await c.get(`/api/orgs/${org}/resources/Repository/repo-a`);
    t.is(got.status, 200);
    t.is(got.body.spec.visibility, 'private');
    t.is(got.body.status.objects[0].health, 'Healthy');
    const etag = got.headers.get('etag')!;
    t.regex(etag, /^"rev-1\+/);
    t.is((await c.get(`/api/orgs/${org}/resources/Repository/repo-a`, { 'if-none-match': etag })).status, 304);
    // If-None-Match compares weakly and may list several ETags (RFC 9110 13.1.2), as caches and proxies send it.
    t.is((await c.get(`/api/orgs/${org}/resources/Repository/repo-a`, { 'if-none-match': `W/${etag}` })).status, 304);
    t.is((await c.get(`/api/orgs/${org}/resources/Repository/repo-a`, { 'if-none-match': `"other", ${etag}` })).status, 304);
    t.is((await c.get(`/api/orgs/${org}/resources/Repository/repo-a`, { 'if-none-match': '"other"' })).status, 200);
    const nf = await c.get(`/api/orgs/${org}/resources/Repository/nope`);
    t.is(nf.status, 404);
    t.is(nf.body.error.code, 'NOT_FOUND');
    await api.close();
  });

  test(`${d.name}: config apply becomes a write request: 201 with commit, If-Match -> expectedRevision (409 when stale), pull-request mode`, async (t) => {
    const { api, org, c, writer } = await setup();
    const created = await c.post(`/api/orgs/${org}/resources`, { kind: 'Repository', metadata: { name: 'new-one' }, spec: { visibility: 'public' } });
    t.is(created.status, 201);
    t.is(created.body.operation, 'create');
    t.is(created.body.commit, 'rev-2');
    t.is(writer.requests[0]!.author.name, 'alice');
    t.is(writer.requests[0]!.resource!.spec.organizationRef, org);
    const read = await c.get(`/api/orgs/${org}/resources/Repository/new-one`);
    const etag = read.headers.get('etag')!;
    const upd = await c.post(`/api/orgs/${org}/resources`, { kind: 'Repository', metadata: { name: 'new-one' }, spec: { visibility: 'private' } }, { 'if-match': etag });
    t.is(upd.status, 200);
    t.is(upd.body.operation, 'update');
    t.is(writer.requests[1]!.expectedRevision, 'rev-2');
    const stale = await c.post(`/api/orgs/${org}/resources`, { kind: 'Repository', metadata: { name: 'new-one' }, spec: { visibility: 'public' } }, { 'if-match': etag });
    t.is(stale.status, 409);
    t.is(stale.body.error.code, 'CONFLICT');
    const pr = await c.post(`/api/orgs/${org}/resources?mode=pull-request`, { kind: 'Repository', metadata: { name: 'via-pr' }, spec: { visibility: 'public' } });
    t.is(pr.body.branch, 'kradle/write/x');
    t.is(writer.requests.at(-1)!.mode, 'pull-request');
    const del = await c.del(`/api/orgs/${org}/resources/Repository/repo-a`);
    t.is(del.status, 200);
    t.is(del.body.operation, 'delete');
    t.is((await c.get(`/api/orgs/${org}/resources/Repository/repo-a`)).status, 404);
    t.is((await c.del(`/api/orgs/${org}/resources/Repository/repo-a`)).status, 404);
    await api.close();
  });

  test(`${d.name}: validation: 422 with details; another org, unknown kind and wrong storage are refused with the right place`, async (t) => {
    const { api, org, c, writer } = await setup();
    const bad = await c.post(`/api/orgs/${org}/resources`, { kind: 'Repository', metadata: { name: 'Bad_Name' }, spec: { visibility: 'secret' } });
    t.is(bad.status, 422);
    t.is(bad.body.error.code, 'VALIDATION_FAILED');
    t.true(bad.body.error.details.some((d: any) => d.field === 'metadata.name'));
    t.true(bad.body.error.details.some((d: any) => String(d.field).includes('visibility')));
    t.deepEqual(bad.body.error.details.map((d: any) => d.field).sort(), ['/spec/visibility', 'metadata.name'], 'an invalid name is one error, not two');
    // In a batch, each detail names its field from the body's root: the item, then its resource.
    const batch = await c.post(`/api/orgs/${org}/resources/batch`, { items: [
      { resource: { kind: 'Repository', metadata: { name: 'fine' }, spec: { visibility: 'public' } } },
      { resource: { kind: 'Repository', metadata: { name: 'Bad_Name' }, spec: { visibility: 'secret' } } },
    ] });
    t.is(batch.status, 422);
    t.deepEqual(batch.body.error.details.map((d: any) => d.field).sort(), ['/items/1/resource/spec/visibility', 'items[1].resource.metadata.name']);
    const other = await c.post(`/api/orgs/${org}/resources`, { kind: 'Repository', metadata: { name: 'x' }, spec: { visibility: 'public', organizationRef: 'globex' } });
    t.is(other.status, 422);
    t.is(other.body.error.details[0].code, 'ORG_MISMATCH');
    t.is((await c.post(`/api/orgs/${org}/resources`, { kind: 'Gizmo', metadata: { name: 'x' }, spec: {} })).status, 400);
    // An empty body names no kind: the answer says what to give, not "unknown kind undefined".
    const kindless = await c.post(`/api/orgs/${org}/resources`, {});
    t.is(kindless.status, 400);
    t.like(kindless.body.error.details[0], { code: 'REQUIRED', field: 'kind' });
    t.notRegex(kindless.body.error.message, /undefined/);
    // A misplaced field (labels beside metadata) is refused, as the loader refuses it, not dropped.
    const stray = await c.post(`/api/orgs/${org}/resources`, { kind: 'Repository', metadata: { name: 'x' }, labels: { tier: 'gold' }, spec: { visibility: 'public' } });
    t.is(stray.status, 422);
    t.like(stray.body.error.details[0], { code: 'SCHEMA', field: 'labels' });
    const strayRuntime = await c.post(`/api/orgs/${org}/resources`, { kind: 'Issue', metadata: { name: 'i' }, spec: { title: 't' }, sepc: { title: 'u' } });
    t.is(strayRuntime.status, 422);
    t.like(strayRuntime.body.error.details[0], { code: 'SCHEMA', field: 'sepc' });
    const wrong = await c.get(`/api/orgs/${org}/runtime-resources/repositories`);
    t.is(wrong.status, 400);
    t.regex(wrong.body.error.message, /config kind.*\/api\/orgs\/.*\/resources/);
    const onRepoRoute = await c.post(`/api/orgs/${org}/repositories`, { kind: 'PullRequest', metadata: { name: 'p' }, spec: { repository: 'web', title: 't' } });
    t.is(onRepoRoute.status, 400);
    t.regex(onRepoRoute.body.error.message, /runtime-resources\/pullrequests/);
    t.is(writer.requests.length, 0);
    await api.close();
  });

  test(`${d.name}: runtime kinds: create in the store, 409 without a guard, update with If-Match, stale rv 409, delete`, async (t) => {
    const { api, org, c } = await setup();
    const body = { kind: 'Issue', metadata: { name: 'bug-1', labels: { sev: 'high' } }, spec: { title: 'broken' } };
    const created = await c.post(`/api/orgs/${org}/resources`, body);
    t.is(created.status, 201);
    const rv = created.body.resource.metadata.resourceVersion;
    t.is((await c.post(`/api/orgs/${org}/resources`, body)).status, 409);
    const upd = await c.post(`/api/orgs/${org}/resources`, { ...body, spec: { title: 'still broken' } }, { 'if-match': `"${rv}"` });
    t.is(upd.status, 200);
    t.is(upd.body.resource.spec.title, 'still broken');
    t.is((await c.post(`/api/orgs/${org}/resources`, body, { 'if-match': `"${rv}"` })).status, 409);
    const got = await c.get(`/api/orgs/${org}/resources/issues/bug-1`);
    t.is(got.headers.get('etag'), `"${upd.body.resource.metadata.resourceVersion}"`);
    const list = await c.get(`/api/orgs/${org}/runtime-resources/Issue?labelSelector=sev%3Dhigh`);
    t.deepEqual(list.body.items.map((r: any) => r.metadata.name), ['bug-1']);
    t.is((await c.del(`/api/orgs/${org}/resources/Issue/bug-1`)).status, 200);
    t.is((await c.del(`/api/orgs/${org}/resources/Issue/bug-1`)).status, 404);
    await api.close();
  });

  test(`${d.name}: summary and tree: counts by kind, sync and health; native objects and recent events of one resource`, async (t) => {
    const { api, store, org, c } = await setup();
    const ns = `kradle-org-${org}`;
    await store.inventory.upsert([
      { sourceKey: `Repository/${ns}/repo-a`, org, revision: 'rev-1', contentHash: 'h1', syncStatus: 'Synced', health: 'Healthy', conditions: [], target: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'a' } },
      { sourceKey: `Repository/${ns}/repo-b`, org, revision: 'rev-1', contentHash: 'h2', syncStatus: 'OutOfSync', health: 'Degraded', conditions: [], target: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'b' } },
    ]);
    await store.events.publish({ org, type: 'Applied', kind: 'Repository', namespace: ns, name: 'repo-a', payload: { ok: true } });
    const run = await store.syncRuns.start('rev-1');
    await store.syncRuns.finish(run.id, { outcome: 'ValidationFailed', counts: {}, errors: [
      { code: 'X', message: 'mine', path: `orgs/${org}/repositories/x.yaml`, line: 1, column: 1 },
      { code: 'X', message: 'theirs', path: 'orgs/someone-else/repositories/y.yaml', line: 1, column: 1 },
    ] });
    const s = (await c.get(`/api/orgs/${org}/summary`)).body;
    t.is(s.resources.byKind.Repository, 5);
    t.deepEqual(s.objects.bySyncStatus, { Synced: 1, OutOfSync: 1 });
    t.deepEqual(s.objects.byHealth, { Healthy: 1, Degraded: 1 });
    t.is(s.syncedRevision, 'rev-1');
    t.deepEqual(s.lastSyncRun.errors.map((e: any) => e.message), ['mine']);
    const tree = (await c.get(`/api/orgs/${org}/resources/Repository/repo-a/tree`)).body;
    t.is(tree.resource.metadata.name, 'repo-a');
    t.deepEqual(tree.objects.map((o: any) => [o.target.name, o.health, o.syncStatus, o.revision]), [['a', 'Healthy', 'Synced', 'rev-1']]);
    t.deepEqual(tree.events.map((e: any) => e.type), ['Applied']);
    t.is((await c.get(`/api/orgs/${org}/resources/Repository/none/tree`)).status, 404);
    await api.close();
  });

  test(`${d.name}: an org the loaded revision does not declare is 404 on the routes reading its config; 403 first for another org's token; runtime-only routes still answer`, async (t) => {
    const { api, org, c } = await setup();
    const platform = client(api.url, await makeToken(api.app, '*', 'reader'));
    for (const path of ['summary', 'resources', 'resources?kind=AgentStack', 'resources/Repository/repo-a', 'resources/Repository/repo-a/tree', 'repositories', 'repositories/repo-a', 'inference/services', 'resource-index', 'snapshot']) {
      const res = await platform.get(`/api/orgs/nosuch/${path}`);
      t.is(res.status, 404, path);
      t.like(res.body.error, { code: 'NOT_FOUND', message: 'organization nosuch not found' }, path);
      t.is((await c.get(`/api/orgs/nosuch/${path}`)).status, 403, `${path} with another org's token`);
      t.is((await platform.get(`/api/orgs/${org}/${path}`)).status, 200, `${path} of the declared org`);
    }
    // The store's runtime records, events and audit of an org may exist before the revision declares it.
    t.deepEqual((await platform.get('/api/orgs/nosuch/runtime-resources/AgentDispatchRun')).body.items, []);
    t.deepEqual((await platform.get('/api/orgs/nosuch/audit')).body.items, []);
    t.is((await platform.get('/api/orgs/nosuch/secrets')).status, 200);
    await api.close();
  });
}
