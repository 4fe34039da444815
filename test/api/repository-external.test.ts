import test from 'ava';
import { testDrivers, uniqueName, type TestDriver } from '../support/store.ts';
import { client, makeToken, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSync, fakeWriter } from '../support/api-fakes.ts';

// Every case runs on PGlite and, when DATABASE_URL is set, on a PostgreSQL server.
for (const d of testDrivers(test)) suite(d);

function suite(d: TestDriver) {
  async function setup(extra: ReturnType<typeof doc>[] = []) {
    const store = await d.store();
    const org = uniqueName('rx');
    const config = fakeConfig([
      doc('Organization', org, org, { displayName: org, slug: org }),
      doc('Repository', org, 'web', { visibility: 'private' }),
      doc('Team', org, 'core', { displayName: 'Core' }),
      doc('ExternalBackendBinding', org, 'jira-b', { providerRef: 'jira', credentialRef: 'jira-cred' }),
      ...extra.map((x) => ({ ...x, spec: { ...x.spec, organizationRef: org } })),
    ]);
    const writer = fakeWriter(config);
    const api = await startApi({ store, config, sync: fakeSync(), writer });
    const c = client(api.url, await makeToken(api.app, org, 'writer', 'alice'));
    const reader = client(api.url, await makeToken(api.app, org, 'reader'));
    return { store, org, config, writer, api, c, reader, ns: `kradle-org-${org}` };
  }

  test(`${d.name}: git objects are recorded as events (201); search-index requests are durable, read back, and stay Queued`, async (t) => {
    const { store, org, api, c, reader } = await setup();
    const base = `/api/orgs/${org}/repositories/web`;
    const oid = 'a'.repeat(40);
    const rec = await c.post(`${base}/objects`, { oid, type: 'commit', ref: 'refs/heads/main', size: 210 });
    t.is(rec.status, 201);
    const [e] = await store.events.since(rec.body.event - 1, { org, limit: 1 });
    t.like(e, { seq: rec.body.event, type: 'GitObjectRecorded', kind: 'Repository', name: 'web', actor: 'alice', payload: { oid, type: 'commit', ref: 'refs/heads/main', size: 210 } });
    const bad = await c.post(`${base}/objects`, { oid: 'xyz', type: 'file' });
    t.is(bad.status, 422);
    t.deepEqual(bad.body.error.details.map((x: any) => x.field), ['oid', 'type']);
    t.is((await c.post(`/api/orgs/${org}/repositories/nope/objects`, { oid, type: 'blob' })).status, 404);
    t.is((await reader.post(`${base}/objects`, { oid, type: 'blob' })).status, 403);

    const queued = await c.post(`${base}/search-index`, { ref: 'refs/heads/main', paths: ['src/'] });
    t.is(queued.status, 202);
    t.is(queued.headers.get('location'), queued.body.location);
    t.like(queued.body, { repository: 'web', state: 'Queued', ref: 'refs/heads/main', paths: ['src/'], requestedBy: 'alice' });
    const back = await reader.get(queued.body.location);
    t.is(back.status, 200);
    t.like(back.body, { id: queued.body.id, state: 'Queued', repository: 'web' });
    t.is((await reader.get(`${base}/search-index/${rec.body.event}`)).status, 404);
    t.is((await reader.get(`${base}/search-index/abc`)).status, 404);
    t.is((await c.post(`${base}/search-index`, { ref: 'main' })).status, 422);
    t.is((await c.post(`/api/orgs/${org}/repositories/nope/search-index`, {})).status, 404);
    await api.close();
  });

  test(`${d.name}: external sync of a runtime kind: watermark ignores stale versions; a local edit since the last sync opens a conflict, the next supersedes it`, async (t) => {
    const { store, org, api, c, ns } = await setup();
    const sync = (version: number, title: string) => c.post(`/api/orgs/${org}/external/sync`, { bindingName: 'jira-b', kind: 'Issue', localName: 'iss-1', spec: { title }, externalEnvelope: { id: 'JIRA-1', version } });
    const issue = () => store.resources.get('Issue', ns, 'iss-1');
    const first = await sync(1, 'A');
    t.is(first.status, 200);
    t.is(first.body.outcome, 'applied');
    t.is((await issue())!.spec.title, 'A');
    t.like(first.body.state, { spec: { providerRef: 'jira', resourceRef: { kind: 'Issue', name: 'iss-1' }, phase: 'Synced' }, status: { externalVersion: 1, externalId: 'JIRA-1' } });
    const links = (await store.resources.list('ExternalObjectLink', { namespace: ns })).items;
    t.deepEqual(links.map((l) => [l.spec.externalId, l.spec.localRef]), [['JIRA-1', { kind: 'Issue', name: 'iss-1' }]]);
    for (const stale of [1, 0]) t.is((await sync(stale, 'OLD')).body.outcome, 'ignored');
    t.is((await issue())!.spec.title, 'A');
    t.is((await sync(2, 'B')).body.outcome, 'applied');
    t.is((await issue())!.spec.title, 'B');
    const local = (await issue())!;
    await store.resources.update({ ...local, spec: { ...local.spec, title: 'edited here' } });
    const conflicted = await sync(3, 'C');
    t.is(conflicted.body.outcome, 'conflict');
    t.is((await issue())!.spec.title, 'edited here');
    const again = await sync(4, 'D');
    t.is(again.body.outcome, 'conflict');
    const conflicts = (await store.resources.list('ExternalSyncConflict', { namespace: ns })).items;
    const phases = Object.fromEntries(conflicts.map((x) => [x.metadata.name, x.status.phase]));
    t.deepEqual(phases, { [conflicted.body.conflict]: 'Superseded', [again.body.conflict]: 'Open' });
    t.like(conflicts.find((x) => x.metadata.name === again.body.conflict)!.spec, { local: { title: 'edited here' }, external: { title: 'D' }, conflictKind: 'concurrent-update' });
    const events = (await store.resources.list('ExternalSyncEvent', { namespace: ns })).items.map((e) => e.spec.eventKind).sort();
    t.deepEqual(events, ['Conflict', 'Conflict', 'Ignored', 'Ignored', 'Upsert', 'Upsert']);
    await api.close();
  });

  test(`${d.name}: external sync of a config kind writes a commit through the writer, never the store; policy prefer-kradle keeps the local side`, async (t) => {
    const { store, org, api, c, writer, config, ns } = await setup([
      doc('ExternalBackendBinding', 'x', 'gh-b', { providerRef: 'gh', credentialRef: 'gh-cred' }),
      doc('ExternalBackendSyncPolicy', 'x', 'gh-policy', { providerRef: 'gh', syncInterval: '5m', conflictResolution: 'prefer-kradle' }),
    ]);
    const sync = (binding: string, version: number, displayName: string) => c.post(`/api/orgs/${org}/external/sync`, { bindingName: binding, kind: 'Team', localName: 'core', spec: { displayName }, externalEnvelope: { id: 'T-1', version } });
    t.is((await sync('jira-b', 1, 'Core')).body.outcome, 'in-sync');
    t.is(writer.requests.length, 0);
    const applied = await sync('jira-b', 2, 'Core Team');
    t.is(applied.body.outcome, 'applied');
    t.is(applied.body.commit, config.current()!.revision);
    t.like(writer.requests[0], { operation: 'apply', kind: 'Team', name: 'core', mode: 'commit', author: { name: 'alice' } });
    t.is(config.current()!.get('Team', org, 'core')!.object.spec.displayName, 'Core Team');
    t.is(await store.resources.get('Team', ns, 'core').catch(() => undefined), undefined);
    // Through the other binding nothing was synced before, and the local side differs: its policy keeps it.
    const kept = await sync('gh-b', 1, 'From GitHub');
    t.is(kept.body.outcome, 'kept-local');
    t.is(writer.requests.length, 1);
    t.is(config.current()!.get('Team', org, 'core')!.object.spec.displayName, 'Core Team');
    await api.close();
  });

  test(`${d.name}: external sync errors: unknown binding 404, unknown kind 400, missing envelope or name 422, reader 403`, async (t) => {
    const { org, api, c, reader } = await setup();
    const body = { bindingName: 'jira-b', kind: 'Issue', localName: 'i', spec: { title: 't' }, externalEnvelope: { id: 'J', version: 1 } };
    const path = `/api/orgs/${org}/external/sync`;
    t.is((await c.post(path, { ...body, bindingName: 'nope' })).status, 404);
    t.is((await c.post(path, { ...body, kind: 'Gizmo' })).status, 400);
    const noEnv = await c.post(path, { ...body, externalEnvelope: { id: 'J' } });
    t.is(noEnv.status, 422);
    t.is(noEnv.body.error.details[0].field, 'externalEnvelope');
    t.is((await c.post(path, { ...body, localName: 'Bad Name' })).status, 422);
    t.is((await c.post(path, { ...body, spec: 'x' })).status, 400);
    t.is((await reader.post(path, body)).status, 403);
    await api.close();
  });
}
