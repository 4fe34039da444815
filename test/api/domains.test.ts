import test from 'ava';
import { testDrivers, type TestDriver } from '../support/store.ts';
import { client, makeToken, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSecrets, fakeSync, fakeWriter } from '../support/api-fakes.ts';

// Every case runs on PGlite and, when DATABASE_URL is set, on a PostgreSQL server.
for (const d of testDrivers(test)) suite(d);

function suite(d: TestDriver) {
  async function setup() {
    const store = await d.store();
    const org = `o${Math.random().toString(36).slice(2, 8)}`;
    const config = fakeConfig([
      doc('Organization', org, org, { displayName: org, slug: org }),
      doc('Repository', org, 'web', { visibility: 'private' }),
      doc('BranchProtection', org, 'main-rule', { refs: ['main'], repository: 'web', requiredApprovals: 2, requiredChecks: ['build', 'lint'] }),
      doc('ArtifactFeed', org, 'npm-main', { registryRef: 'reg', displayName: 'npm' }),
    ]);
    const secrets = fakeSecrets();
    const writer = fakeWriter(config);
    const api = await startApi({ store, config, sync: fakeSync(), writer, secrets });
    const token = (subject: string) => makeToken(api.app, org, 'writer', subject);
    return { api, store, config, secrets, writer, org, c: client(api.url, await token('alice')), as: async (s: string) => client(api.url, await token(s)) };
  }

  test(`${d.name}: pull requests: open, review, complete checks; merge gated on approvals and named checks (409 lists them), then refused without Git storage`, async (t) => {
    const { api, org, c, as } = await setup();
    const base = `/api/orgs/${org}/pullrequests`;
    const opened = await c.post(base, { name: 'pr-1', repository: 'web', title: 'feat', sourceRef: 'feat', targetRef: 'main' });
    t.is(opened.status, 201);
    t.is(opened.body.status.phase, 'Open');
    t.is((await c.post(base, { repository: 'web', title: 'x' })).status, 422);
    const gated = await c.post(`${base}/pr-1/merge`);
    t.is(gated.status, 409);
    t.deepEqual(gated.body.error.details.map((d: any) => d.code).sort(), ['APPROVALS_REQUIRED', 'CHECK_REQUIRED', 'CHECK_REQUIRED']);
    t.is((await (await as('bob')).post(`${base}/pr-1/reviews`, { state: 'approved' })).status, 201);
    const carol = await as('carol');
    await carol.post(`${base}/pr-1/reviews`, { state: 'approved' });
    await carol.post(`${base}/pr-1/reviews`, { state: 'changes-requested' });
    t.is((await c.post(`${base}/pr-1/reviews`, { state: 'maybe' })).status, 422);
    await c.post(`${base}/pr-1/checks/complete`, { name: 'build', conclusion: 'success' });
    await c.post(`${base}/pr-1/checks/complete`, { name: 'lint', conclusion: 'failure' });
    const still = await c.post(`${base}/pr-1/merge`);
    t.is(still.status, 409);
    t.deepEqual(still.body.error.details.map((d: any) => d.message), ['needs 2 approval(s), has 1', 'check lint is failure']);
    await carol.post(`${base}/pr-1/reviews`, { state: 'approved' });
    await c.post(`${base}/pr-1/checks/complete`, { name: 'lint', conclusion: 'success' });
    // The gates pass; the Repository names no Git storage, so nothing can be merged (test/repos/merge.test.ts merges).
    const refused = await c.post(`${base}/pr-1/merge`);
    t.is(refused.status, 409);
    t.is(refused.body.error.details[0].code, 'NO_GIT_STORAGE');
    t.is((await c.post(`${base}/nope/merge`)).status, 404);
    await api.close();
  });

  test(`${d.name}: secrets: values go only to the secrets port; list has names and keys; nothing in store, events or audit`, async (t) => {
    const { api, store, org, c, secrets, writer } = await setup();
    const created = await c.post(`/api/orgs/${org}/secrets`, { name: 'db', data: { password: 'S3cr3t-value', user: 'app' } });
    t.is(created.status, 201);
    t.deepEqual(created.body, { secret: { name: 'db', keys: ['password', 'user'] } });
    t.deepEqual(secrets.data.get(`${org}/db`), { password: 'S3cr3t-value', user: 'app' });
    t.deepEqual((await c.get(`/api/orgs/${org}/secrets`)).body, { secrets: [{ name: 'db', keys: ['password', 'user'] }] });
    const dump = JSON.stringify([await store.events.since(0, { org }), await store.audit.query({ org }), writer.requests]);
    t.false(dump.includes('S3cr3t-value'));
    t.is((await c.post(`/api/orgs/${org}/secrets`, { name: 'db', data: { password: 1 } })).status, 422);
    t.is((await c.post(`/api/orgs/${org}/secrets`, { name: 'Bad Name', data: { a: 'b' } })).status, 422);
    t.is((await c.del(`/api/orgs/${org}/secrets/db`)).status, 200);
    t.is((await c.del(`/api/orgs/${org}/secrets/db`)).status, 404);
    const grant = { kind: 'AgentSecretGrant', metadata: { name: 'g1' }, spec: { subject: 'bot', secretRef: 'db', purpose: 'ci' } };
    t.is((await c.post(`/api/orgs/${org}/secret-grants`, grant)).status, 201);
    const leaky = await c.post(`/api/orgs/${org}/secret-grants`, { ...grant, spec: { ...grant.spec, value: 'x' } });
    t.is(leaky.status, 422);
    t.is(leaky.body.error.details[0].code, 'SECRET_VALUE');
    t.deepEqual((await c.get(`/api/orgs/${org}/secret-grants`)).body.items.map((g: any) => g.metadata.name), ['g1']);
    await api.close();
  });

  test(`${d.name}: secrets without a configured Secret store answer 503 in the envelope`, async (t) => {
    const store = await d.store();
    const config = fakeConfig([]);
    const api = await startApi({ store, config, sync: fakeSync() });
    const c = client(api.url, await makeToken(api.app, 'acme', 'admin'));
    const r = await c.get('/api/orgs/acme/secrets');
    t.is(r.status, 503);
    t.is(r.body.error.code, 'WAITING');
    t.is((await c.post('/api/orgs/acme/resources', { kind: 'Repository', metadata: { name: 'x' }, spec: { visibility: 'public' } })).status, 503);
    await api.close();
  });

  test(`${d.name}: external sync: conflict resolve by strategy; write intents approve/cancel with 409 on invalid transitions`, async (t) => {
    const { api, store, org, c } = await setup();
    const ns = `kradle-org-${org}`;
    const spec = { organizationRef: org, providerRef: 'jira', resourceRef: { kind: 'Issue', name: 'x' } };
    await store.resources.create({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'ExternalSyncConflict', metadata: { name: 'c1', namespace: ns }, spec: { ...spec, conflictKind: 'field', local: { title: 'ours' }, external: { title: 'theirs' } } });
    await store.resources.create({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'ExternalWriteIntent', metadata: { name: 'w1', namespace: ns }, spec: { ...spec, operation: 'update' } });
    await store.resources.create({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'ExternalWriteIntent', metadata: { name: 'w2', namespace: ns }, spec: { ...spec, operation: 'update' } });
    const x = `/api/orgs/${org}/external`;
    t.is((await c.post(`${x}/conflicts/c1/resolve`, { strategy: 'coin-flip' })).status, 422);
    t.is((await c.post(`${x}/conflicts/c1/resolve`, { strategy: 'manual' })).status, 422);
    const resolved = await c.post(`${x}/conflicts/c1/resolve`, { strategy: 'manual', resolvedValue: { title: 'merged' } });
    t.is(resolved.status, 200);
    t.like(resolved.body.conflict.status, { phase: 'Resolved', strategy: 'manual', resolvedBy: 'alice' });
    t.is((await store.resources.get('Issue', ns, 'x'))!.spec.title, 'merged', 'the resolved value is applied');
    t.is((await c.post(`${x}/conflicts/c1/resolve`, { strategy: 'ignore' })).status, 409);
    t.is((await c.post(`${x}/conflicts/none/resolve`, { strategy: 'ignore' })).status, 404);
    const approved = await c.post(`${x}/write-intents/w1/approve`, { approvedBy: 'lead' });
    t.like(approved.body.status, { phase: 'ReadyToSend', approvedBy: 'lead' });
    const again = await c.post(`${x}/write-intents/w1/approve`, {});
    t.is(again.status, 409);
    t.is(again.body.error.details[0].code, 'INVALID_TRANSITION');
    t.like((await c.post(`${x}/write-intents/w1/cancel`, {})).body.status, { phase: 'Rejected', cancelledBy: 'alice' });
    t.is((await c.post(`${x}/write-intents/w1/cancel`, {})).status, 409);
    t.is((await c.post(`${x}/write-intents/w2/cancel`, { cancelledBy: 'ops' })).status, 200);
    await api.close();
  });

  test(`${d.name}: inference and artifacts: configs go to the writer, versions publish to the store once`, async (t) => {
    const { api, org, c, writer } = await setup();
    const svc = { metadata: { name: 'sentiment' }, spec: { predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: 's3://m/1', protocolVersion: 'v2' } } } };
    t.is((await c.post(`/api/orgs/${org}/inference/services`, svc)).status, 201);
    t.is(writer.requests.at(-1)!.kind, 'KradleInferenceService');
    const got = await c.get(`/api/orgs/${org}/inference/services/sentiment`);
    t.is(got.body.endpoint, `http://sentiment.kradle-org-${org}.svc.cluster.local/v2/models/sentiment/infer`);
    t.deepEqual((await c.get(`/api/orgs/${org}/inference/services`)).body.items.map((s: any) => s.metadata.name), ['sentiment']);
    const badFormat = await c.post(`/api/orgs/${org}/inference/services`, { ...svc, spec: { predictor: { model: { modelFormat: { name: 'excel' }, storageUri: 'x' } } } });
    t.is(badFormat.status, 422);
    t.is((await c.post(`/api/orgs/${org}/inference/runtimes`, { metadata: { name: 'rt' }, spec: { supportedModelFormats: [{ name: 'onnx' }], containers: [{ image: 'i' }] } })).status, 201);
    t.is((await c.post(`/api/orgs/${org}/artifacts/registries`, { metadata: { name: 'reg' }, spec: { displayName: 'R', type: 'npm', storageBackend: 'internal' } })).status, 201);
    t.is((await c.post(`/api/orgs/${org}/artifacts/feeds`, { metadata: { name: 'f2' }, spec: { registryRef: 'reg', displayName: 'F' } })).status, 201);
    const pub = await c.post(`/api/orgs/${org}/artifacts/feeds/npm-main/publish`, { name: 'left-pad', version: '1.0.0', packageType: 'npm', size: 10 });
    t.is(pub.status, 201);
    t.like(pub.body.spec, { feedRef: 'npm-main', publishedBy: 'alice', version: '1.0.0' });
    t.is((await c.post(`/api/orgs/${org}/artifacts/feeds/npm-main/publish`, { name: 'left-pad', version: '1.0.0', packageType: 'npm' })).status, 409);
    t.is((await c.post(`/api/orgs/${org}/artifacts/feeds/nope/publish`, { name: 'a', version: '1', packageType: 'npm' })).status, 404);
    // Distinct versions whose normalized names coincide are both published; each is still immutable.
    t.is((await c.post(`/api/orgs/${org}/artifacts/feeds/npm-main/publish`, { name: 'a', version: '1.0', packageType: 'npm' })).status, 201);
    t.is((await c.post(`/api/orgs/${org}/artifacts/feeds/npm-main/publish`, { name: 'a-1', version: '0', packageType: 'npm' })).status, 201);
    t.is((await c.post(`/api/orgs/${org}/artifacts/feeds/npm-main/publish`, { name: 'a-1', version: '0', packageType: 'npm' })).status, 409);
    const versions = await c.get(`/api/orgs/${org}/artifacts/feeds/npm-main/versions`);
    t.deepEqual(versions.body.items.map((v: any) => `${v.spec.name}@${v.spec.version}`).sort(), ['a-1@0', 'a@1.0', 'left-pad@1.0.0']);
    await api.close();
  });

  test(`${d.name}: organizations and repositories: create org needs a platform writer; repository CRUD through its route`, async (t) => {
    const { api, org, c, writer } = await setup();
    t.is((await c.post('/api/orgs', { slug: 'newco', displayName: 'New Co' })).status, 403);
    const platform = client(api.url, await makeToken(api.app, '*', 'admin'));
    const created = await platform.post('/api/orgs', { slug: 'newco', displayName: 'New Co' });
    t.is(created.status, 201);
    t.is(created.body.namespace, 'kradle-org-newco');
    t.is(writer.requests.at(-1)!.resource!.metadata.namespace, 'kradle-system');
    t.is((await platform.post('/api/orgs', { slug: 'New Co!', displayName: 'x' })).status, 422);
    t.is((await c.post(`/api/orgs/${org}/repositories`, { metadata: { name: 'api' }, spec: { visibility: 'internal' } })).status, 201);
    t.is((await c.get(`/api/orgs/${org}/repositories/api`)).body.spec.visibility, 'internal');
    t.is((await c.del(`/api/orgs/${org}/repositories/api`)).status, 200);
    t.is((await c.get(`/api/orgs/${org}/repositories/api`)).status, 404);
    await api.close();
  });
}
