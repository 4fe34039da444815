import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { createLiveDriver, createPlanOnlyDriver } from '../../src/cluster/index.ts';
import { createInferencePort } from '../../src/server/inference-port.ts';
import { testDrivers, uniqueName, type TestDriver } from '../support/store.ts';
import { client, makeToken, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSync } from '../support/api-fakes.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';

// Every case runs on PGlite and, when DATABASE_URL is set, on a PostgreSQL server.
for (const d of testDrivers(test)) suite(d);

const ISVC = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' };
const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'inferenceservices.serving.kserve.io' },
  spec: { group: 'serving.kserve.io', scope: 'Namespaced', names: { kind: 'InferenceService', plural: 'inferenceservices', singular: 'inferenceservice' }, versions: [{ name: 'v1beta1', served: true, storage: true, subresources: { status: {} } }] },
};

/** A KServe-style model server: V1 :predict and V2 /infer for `iris`; `broken` fails with internals in its body; `slow` never answers. */
async function modelServer() {
  const seen: { path: string; body: unknown }[] = [];
  const server: Server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    seen.push({ path: req.url!, body: JSON.parse(raw || 'null') });
    if (req.url!.includes('/slow')) return;
    if (req.url!.includes('/broken')) return void res.writeHead(500).end('Traceback: /srv/models/secret-path.py line 3');
    const reply = req.url === '/v1/models/iris:predict' ? { predictions: [1, 0] } : req.url === '/v2/models/iris/infer' ? { model_name: 'iris', outputs: [{ name: 'out', data: [1] }] } : undefined;
    if (!reply) return void res.writeHead(404).end('no such model');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => { server.closeAllConnections(); return new Promise((r) => server.close(r)); } };
}

function suite(d: TestDriver) {
  let kube: KubeApiServer;
  test.before(async () => {
    kube = await startKubeApiServer();
    kube.put(CRD);
  });
  test.after.always(async () => kube?.stop());

  const service = (org: string, name: string, protocolVersion?: string) =>
    doc('KradleInferenceService', org, name, { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 's3://m/1', ...(protocolVersion ? { protocolVersion } : {}) } } });

  function deploy(org: string, name: string, url?: string) {
    const ref = { ...ISVC, namespace: `kradle-org-${org}`, name };
    kube.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `kradle-org-${org}` } });
    kube.put({ ...ISVC, metadata: { name, namespace: ref.namespace }, spec: {} });
    if (url) kube.setStatus(ref, { url, conditions: [{ type: 'Ready', status: 'True' }] });
  }

  test(`${d.name}: infer proxies V2 and V1 to status.url of the KServe InferenceService; 503 until it has a URL`, async (t) => {
    const store = await d.store();
    const org = uniqueName('inf');
    const models = await modelServer();
    const config = fakeConfig([doc('Organization', org, org, { displayName: org, slug: org }), service(org, 'iris'), service(org, 'legacy', 'v1')]);
    // Generous: nothing here times out on purpose, and a loaded CI machine must not turn an answer into a 504.
    const inference = createInferencePort(createLiveDriver({ kubeConfig: kube.kubeConfig }), { timeoutMs: 10_000 });
    const api = await startApi({ store, config, sync: fakeSync(), inference });
    const c = client(api.url, await makeToken(api.app, org, 'writer'));
    const infer = (name: string, body: unknown, q = '') => c.post(`/api/orgs/${org}/inference/services/${name}/infer${q}`, body);

    const missing = await infer('iris', { inputs: [] });
    t.is(missing.status, 503);
    t.is(missing.body.error.details[0].code, 'INFERENCE_NOT_READY');
    deploy(org, 'iris');
    t.is((await infer('iris', { inputs: [] })).body.error.details[0].code, 'INFERENCE_NOT_READY');
    deploy(org, 'iris', `${models.url}/`);
    const v2 = await infer('iris', { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] });
    t.is(v2.status, 200);
    t.deepEqual(v2.body, { model_name: 'iris', outputs: [{ name: 'out', data: [1] }] });
    t.is(v2.headers.get('x-kradle-inference-protocol'), 'v2');
    t.deepEqual(models.seen.at(-1), { path: '/v2/models/iris/infer', body: { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] } });
    t.deepEqual((await infer('iris', { instances: [[1, 2, 3, 4]] })).body, { predictions: [1, 0] });
    t.is(models.seen.at(-1)!.path, '/v1/models/iris:predict');
    t.is((await infer('iris', { data: 1 }, '?protocol=v1')).status, 200);
    t.is(models.seen.at(-1)!.path, '/v1/models/iris:predict');
    t.is((await infer('iris', {}, '?protocol=v3')).status, 400);
    deploy(org, 'legacy', models.url);
    const legacy = await infer('legacy', { whatever: true });
    t.is(legacy.status, 502);
    t.is(models.seen.at(-1)!.path, '/v1/models/legacy:predict');
    t.is((await infer('nope', {})).status, 404);
    t.is((await client(api.url, await makeToken(api.app, org, 'reader')).post(`/api/orgs/${org}/inference/services/iris/infer`, {})).status, 403);
    await api.close();
    await models.close();
  });

  // The timeout leaves a loaded CI machine room to answer `broken` (a 502) before it calls `slow` a 504.
  test(`${d.name}: infer upstream failures: 502 without the upstream body, 504 on timeout, 502 when unreachable`, async (t) => {
    const store = await d.store();
    const org = uniqueName('inf');
    const models = await modelServer();
    const config = fakeConfig([doc('Organization', org, org, { displayName: org, slug: org }), service(org, 'broken'), service(org, 'slow'), service(org, 'gone')]);
    const api = await startApi({ store, config, sync: fakeSync(), inference: createInferencePort(createLiveDriver({ kubeConfig: kube.kubeConfig }), { timeoutMs: 8_000 }) });
    const c = client(api.url, await makeToken(api.app, org, 'admin'));
    deploy(org, 'broken', models.url);
    deploy(org, 'slow', models.url);
    deploy(org, 'gone', 'http://127.0.0.1:9');
    const broken = await c.post(`/api/orgs/${org}/inference/services/broken/infer`, { inputs: [] });
    t.is(broken.status, 502);
    t.is(broken.body.error.details[0].code, 'UPSTREAM_STATUS');
    t.false(JSON.stringify(broken.body).includes('Traceback'));
    t.false(JSON.stringify(broken.body).includes('secret-path'));
    const slow = await c.post(`/api/orgs/${org}/inference/services/slow/infer`, { inputs: [] });
    t.is(slow.status, 504);
    t.is(slow.body.error.code, 'INFERENCE_TIMEOUT');
    const gone = await c.post(`/api/orgs/${org}/inference/services/gone/infer`, { inputs: [] });
    t.is(gone.status, 502);
    t.is(gone.body.error.details[0].code, 'UPSTREAM_UNREACHABLE');
    await api.close();
    await models.close();
  });

  test(`${d.name}: infer without a cluster (plan-only) or without an inference port answers 503 with a clear code`, async (t) => {
    const store = await d.store();
    const org = uniqueName('inf');
    const config = fakeConfig([doc('Organization', org, org, { displayName: org, slug: org }), service(org, 'iris')]);
    const planOnly = await startApi({ store, config, sync: fakeSync(), inference: createInferencePort(createPlanOnlyDriver()) });
    const c = client(planOnly.url, await makeToken(planOnly.app, org, 'writer'));
    const r = await c.post(`/api/orgs/${org}/inference/services/iris/infer`, { inputs: [] });
    t.is(r.status, 503);
    t.is(r.body.error.details[0].code, 'CLUSTER_PLAN_ONLY');
    await planOnly.close();
    const none = await startApi({ store, config, sync: fakeSync() });
    const r2 = await client(none.url, await makeToken(none.app, org, 'writer')).post(`/api/orgs/${org}/inference/services/iris/infer`, { inputs: [] });
    t.is(r2.status, 503);
    t.is(r2.body.error.details[0].code, 'INFERENCE_UNAVAILABLE');
    await none.close();
  });
}
