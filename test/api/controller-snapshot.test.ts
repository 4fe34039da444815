import test from 'ava';
import type { ErrorDetail } from '../../src/errors/index.ts';
import { resourceKey } from '../../src/kinds/index.ts';
import type { Snapshot } from '../../src/source/types.ts';
import { writerPortFrom } from '../../src/api/index.ts';
import { createConfigWriter, type RevisionCheck } from '../../src/writeback/index.ts';
import { testDrivers, uniqueName, type TestDriver } from '../support/store.ts';
import { client, makeToken, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSync, fakeWriter } from '../support/api-fakes.ts';
import { createFixture } from '../writeback/helpers.ts';

// Every case runs on PGlite and, when DATABASE_URL is set, on a PostgreSQL server.
for (const d of testDrivers(test)) suite(d);

const API = 'kradle.a5c.ai/v1alpha1';
const runtime = (kind: string, org: string, name: string, spec: Record<string, unknown>) => ({ apiVersion: API, kind, metadata: { name, namespace: `kradle-org-${org}` }, spec: { organizationRef: org, ...spec } });

/** A stand-in for the loader's reference check, with real positions: a Team may not list the member `ghost`. */
async function validateNoGhosts(snapshot: Snapshot): Promise<RevisionCheck> {
  const errors: ErrorDetail[] = [];
  for (const f of snapshot.files) {
    const lines = new TextDecoder().decode(await snapshot.readBlob(f.oid)).split('\n');
    lines.forEach((l, i) => l.includes('ghost') && errors.push({ code: 'REFERENCE', message: 'member ghost does not exist', path: f.path, line: i + 1, column: l.indexOf('ghost') + 1 }));
  }
  return { errors, warnings: [] };
}

function suite(d: TestDriver) {
  test(`${d.name}: GET /api/controller: orgs the token sees, resources by kind with worst sync/health, pending approvals and imports, recent events`, async (t) => {
    const store = await d.store();
    const [a, b] = [uniqueName('ca'), uniqueName('cb')];
    const config = fakeConfig([
      doc('Organization', a, a, { displayName: 'Org A', slug: a }), doc('Organization', b, b, { displayName: 'Org B', slug: b }),
      doc('Repository', a, 'web', { visibility: 'private' }), doc('Team', a, 'core', { displayName: 'Core' }), doc('Repository', b, 'other', { visibility: 'private' }),
    ]);
    const key = resourceKey({ kind: 'Repository', namespace: `kradle-org-${a}`, name: 'web' });
    const entry = (name: string, health: 'Healthy' | 'Degraded') => ({ sourceKey: key, org: a, target: { apiVersion: 'v1', kind: 'ConfigMap', namespace: `kradle-org-${a}`, name }, revision: 'rev-1', contentHash: name, syncStatus: 'Synced' as const, health, conditions: [] });
    await store.inventory.upsert([entry(`${a}-1`, 'Healthy'), entry(`${a}-2`, 'Degraded')]);
    // One pending approval per run and action (the store enforces it): each approval asks for its own run.
    for (const [name, phase] of [['ap-open', undefined], ['ap-pending', 'Pending'], ['ap-done', 'Approved']] as const) {
      const r = await store.resources.create(runtime('AgentApproval', a, name, { dispatchRun: `run-${name}`, action: 'tool-use', requestedBy: 'bot' }));
      if (phase) await store.resources.updateStatus({ ...r, status: { phase } });
    }
    for (const [name, phase] of [['mi-new', undefined], ['mi-review', 'AwaitingReview'], ['mi-merged', 'Merged']] as const) {
      const r = await store.resources.create(runtime('AgentRunMemoryImport', a, name, { memoryRepository: 'brain', source: 'run-1', include: ['decisions'] }));
      if (phase) await store.resources.updateStatus({ ...r, status: { phase } });
    }
    await store.events.publish({ org: b, type: 'Secret', kind: 'Repository', name: 'other' });
    const api = await startApi({ store, config, sync: fakeSync({ syncedRevision: 'rev-1' }) });
    const reader = client(api.url, await makeToken(api.app, a, 'reader'));
    const res = await reader.get('/api/controller');
    t.is(res.status, 200);
    t.deepEqual(res.body.orgs, [{ slug: a, displayName: 'Org A', namespace: `kradle-org-${a}` }]);
    t.like(res.body.sync, { state: 'Idle', revision: 'rev-1', syncedRevision: 'rev-1' });
    const [model] = res.body.organizations;
    t.deepEqual(model.resources.Repository, [{ name: 'web', source: `orgs/${a}/Repository/web.yaml`, syncStatus: 'Synced', health: 'Degraded', objects: 2 }]);
    t.like(model.resources.Team[0], { name: 'core', syncStatus: 'Unknown', health: 'Unknown', objects: 0 });
    t.deepEqual(model.pendingApprovals.map((x: any) => x.metadata.name).sort(), ['ap-open', 'ap-pending']);
    t.deepEqual(model.pendingMemoryImports.map((x: any) => x.metadata.name).sort(), ['mi-new', 'mi-review']);
    t.true(model.recentEvents.some((e: any) => e.kind === 'AgentApproval' && e.name === 'ap-done'));
    t.false(JSON.stringify(res.body).includes('other'));
    t.is((await reader.get(`/api/controller?org=${a}`)).body.organizations.length, 1);
    t.is((await reader.get(`/api/controller?org=${b}`)).status, 403);
    const bad = await reader.get('/api/controller?org=Not_An_Org');
    t.is(bad.status, 400);
    t.is(bad.body.error.code, 'BAD_REQUEST');
    t.is((await reader.get('/api/controller?org=')).status, 400);
    const platform = client(api.url, await makeToken(api.app, '*', 'reader'));
    t.deepEqual((await platform.get('/api/controller')).body.orgs.map((o: any) => o.slug).sort(), [a, b].sort());
    t.is((await platform.get('/api/controller?org=nowhere')).status, 404);
    t.is((await client(api.url).get('/api/controller')).status, 401);
    await api.close();
  });

  test(`${d.name}: snapshot: export config + runtime; import is ONE commit plus one transaction; an invalid revision is 422 with positions and nothing applied`, async (t) => {
    const store = await d.store();
    const fx = createFixture();
    t.teardown(() => fx.remove());
    const writer = writerPortFrom(createConfigWriter({ gitdir: fx.gitdir, branch: 'main', validate: validateNoGhosts }));
    const config = fakeConfig([doc('Organization', 'acme', 'acme', { displayName: 'Acme', slug: 'acme' }), doc('Team', 'acme', 'platform', { displayName: 'Platform' })]);
    const api = await startApi({ store, config, sync: fakeSync(), writer });
    const c = client(api.url, await makeToken(api.app, 'acme', 'writer', 'importer'));
    const before = fx.git('rev-parse', 'main');
    const team = (name: string, members: string[]) => ({ kind: 'Team', metadata: { name }, spec: { displayName: name, members } });
    const imported = await c.post('/api/orgs/acme/snapshot', {
      config: [team('platform', ['alice']), team('data', ['bob'])],
      runtime: [{ kind: 'Issue', metadata: { name: 'snap-1' }, spec: { title: 'from a snapshot' }, status: { phase: 'Open' } }],
    });
    t.is(imported.status, 200);
    t.is(imported.body.config.commit, fx.git('rev-parse', 'main'));
    t.is(fx.git('rev-parse', 'main^'), before);
    t.deepEqual(imported.body.config.items.map((i: any) => [i.path, i.created]), [['orgs/acme/teams/platform.yaml', false], ['orgs/acme/teams/data.yaml', true]]);
    t.is(fx.git('log', '-1', '--format=%an'), 'importer');
    t.deepEqual(imported.body.runtime, { created: 1, updated: 0 });
    t.is((await store.resources.get('Issue', 'kradle-org-acme', 'snap-1'))!.status.phase, 'Open');

    const head = fx.git('rev-parse', 'main');
    const invalid = await c.post('/api/orgs/acme/snapshot', { config: [team('data', ['ghost'])], runtime: [{ kind: 'Issue', metadata: { name: 'snap-2' }, spec: { title: 'never' } }] });
    t.is(invalid.status, 422);
    t.like(invalid.body.error.details[0], { code: 'REFERENCE', path: 'orgs/acme/teams/data.yaml', line: 9, column: 7 });
    t.is(fx.git('rev-parse', 'main'), head);
    t.is(await store.resources.get('Issue', 'kradle-org-acme', 'snap-2'), undefined);

    const wrong = await c.post('/api/orgs/acme/snapshot', { config: [{ kind: 'Issue', metadata: { name: 'x' }, spec: { title: 't' } }], runtime: [{ kind: 'Issue', metadata: { name: 'Bad Name' }, spec: { title: 't' } }] });
    t.is(wrong.status, 422);
    const fields = wrong.body.error.details.map((x: any) => x.field);
    t.true(fields.includes('config[0].kind') && fields.includes('runtime[0].metadata.name'), fields.join(' '));
    t.is((await c.post('/api/orgs/acme/snapshot', { config: {} })).status, 400);
    const issue = (title: string) => ({ kind: 'Issue', metadata: { name: 'twice' }, spec: { title } });
    const twice = await c.post('/api/orgs/acme/snapshot', { runtime: [issue('first'), { ...issue('second'), kind: 'issues' }] });
    t.is(twice.status, 422, 'two documents of one kind and name: neither silently wins');
    t.like(twice.body.error.details[0], { code: 'DUPLICATE_RESOURCE', field: 'runtime[1]' });
    t.is(await store.resources.get('Issue', 'kradle-org-acme', 'twice'), undefined);
    t.is((await client(api.url, await makeToken(api.app, 'acme', 'reader')).post('/api/orgs/acme/snapshot', { config: [] })).status, 403);

    const exported = await c.get('/api/orgs/acme/snapshot');
    t.is(exported.status, 200);
    t.is(exported.body.revision, config.current()!.revision);
    t.deepEqual(exported.body.config.map((r: any) => r.metadata.name), ['platform']);
    t.deepEqual(exported.body.runtime.map((r: any) => `${r.kind}/${r.metadata.name}`), ['Issue/snap-1']);
    t.is((await client(api.url, await makeToken(api.app, 'other', 'admin')).get('/api/orgs/acme/snapshot')).status, 403);
    // An org the revision does not declare is not an empty snapshot, even to a platform token.
    const nowhere = await client(api.url, await makeToken(api.app, '*', 'reader')).get('/api/orgs/nowhere/snapshot');
    t.is(nowhere.status, 404);
    t.is(nowhere.body.error.code, 'NOT_FOUND');
    await api.close();
  });

  test(`${d.name}: snapshot import of config documents without a writer answers 503; runtime-only imports need none; with one, one multi-document write`, async (t) => {
    const store = await d.store();
    const org = uniqueName('sn');
    const api = await startApi({ store, config: fakeConfig([doc('Organization', org, org, { displayName: org, slug: org })]), sync: fakeSync() });
    const c = client(api.url, await makeToken(api.app, org, 'admin'));
    const r = await c.post(`/api/orgs/${org}/snapshot`, { config: [{ kind: 'Team', metadata: { name: 't' }, spec: { displayName: 'T' } }] });
    t.is(r.status, 503);
    const rt = await c.post(`/api/orgs/${org}/snapshot`, { runtime: [{ kind: 'Issue', metadata: { name: 'i' }, spec: { title: 't' } }] });
    t.is(rt.status, 200);
    t.deepEqual(rt.body, { org, runtime: { created: 1, updated: 0 }, config: null });
    await api.close();
    // With a writer: every config document of the snapshot goes in one multi-document write.
    const config = fakeConfig([doc('Organization', org, org, { displayName: org, slug: org })]);
    const writer = fakeWriter(config);
    const withWriter = await startApi({ store, config, sync: fakeSync(), writer });
    const w = client(withWriter.url, await makeToken(withWriter.app, org, 'admin'));
    const two = await w.post(`/api/orgs/${org}/snapshot`, { config: [{ kind: 'Team', metadata: { name: 'a' }, spec: { displayName: 'A' } }, { kind: 'Team', metadata: { name: 'b' }, spec: { displayName: 'B' } }], runtime: [{ kind: 'Issue', metadata: { name: 'i' }, spec: { title: 'again' } }] });
    t.is(two.status, 200);
    t.deepEqual(two.body.runtime, { created: 0, updated: 1 });
    t.is(writer.manyRequests.length, 1);
    t.deepEqual(writer.manyRequests[0]!.edits.map((e) => e.name), ['a', 'b']);
    t.deepEqual((await w.get(`/api/orgs/${org}/snapshot`)).body.config.map((r: any) => r.metadata.name).sort(), ['a', 'b']);
    t.is((await store.resources.get('Issue', `kradle-org-${org}`, 'i'))!.spec.title, 'again');
    await withWriter.close();
  });
}
