import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictError, NotFoundError, UpstreamError, WaitingError } from '../../src/errors/index.ts';
import { createLiveDriver, loadKubeConfig, type KubeObject, type LiveDriver, type LiveDriverOptions, type WatchEventType } from '../../src/cluster/index.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';

const cm = (name: string, data: Record<string, string>, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels }, data,
});
const ref = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name });

async function withDriver(fn: (d: LiveDriver, s: KubeApiServer) => Promise<void>, extra: Partial<LiveDriverOptions> = {}) {
  const server = await startKubeApiServer();
  // Through the kubeconfig file, found the way the CLI finds it.
  const kubeConfig = loadKubeConfig({ env: { KUBECONFIG: server.kubeConfigPath } });
  try {
    await fn(createLiveDriver({ kubeConfig: kubeConfig!, backoff: { initialMs: 20, maxMs: 200 }, ...extra }), server);
  } finally {
    await server.stop();
  }
}

/** Polls until the condition holds; fails (not a timing assertion) only if it never does. */
async function eventually(cond: () => boolean, what: string) {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!cond()) throw new Error(`never happened: ${what}`);
}

test('apply reports created, unchanged and configured; get, list and delete', (t) =>
  withDriver(async (d) => {
    t.is((await d.apply(cm('a', { k: '1' }, { app: 'x' }))).action, 'created');
    t.is((await d.apply(cm('a', { k: '1' }, { app: 'x' }))).action, 'unchanged');
    const changed = await d.apply(cm('a', { k: '2' }, { app: 'x' }));
    t.is(changed.action, 'configured');
    t.is(changed.live?.data && (changed.live.data as Record<string, string>).k, '2');
    await d.apply(cm('b', { k: '1' }, { app: 'y' }));
    const got = await d.get(ref('a'));
    t.is(typeof got?.metadata.creationTimestamp, 'string', 'objects stay plain JSON');
    const listed = await d.list('v1', 'ConfigMap', { namespace: 'default', labelSelector: 'app=x' });
    t.deepEqual(listed.map((o) => [o.apiVersion, o.kind, o.metadata.name]), [['v1', 'ConfigMap', 'a']]);
    t.is(await d.delete(ref('a')), 'deleted');
    t.is(await d.delete(ref('a')), 'absent');
    t.is(await d.get(ref('a')), undefined);
  }));

test('each apply is one PATCH: the answer tells created, configured and unchanged apart', (t) =>
  withDriver(async (d, server) => {
    const from = server.requests.length;
    t.is((await d.apply(cm('one', { k: '1' }))).action, 'created');
    t.is((await d.apply(cm('one', { k: '1' }))).action, 'unchanged');
    t.is((await d.apply(cm('one', { k: '2' }))).action, 'configured');
    const objectRequests = server.requests.slice(from).filter((r) => r.path.includes('/configmaps/'));
    t.deepEqual(objectRequests.map((r) => r.method), ['PATCH', 'PATCH', 'PATCH']);
    // A fresh driver has seen no version of the object: a no-op apply of an existing object counts as configured.
    const fresh = createLiveDriver({ kubeConfig: server.kubeConfig });
    t.is((await fresh.apply(cm('one', { k: '2' }))).action, 'configured');
    t.is((await fresh.apply(cm('one', { k: '2' }))).action, 'unchanged');
  }));

test('applyStatus writes only the status subresource, as field manager kradle; absent objects say so', (t) =>
  withDriver(async (d, server) => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'things.example.com' },
      spec: { group: 'example.com', scope: 'Namespaced', names: { kind: 'Thing', plural: 'things' },
        versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} } }] },
    };
    await d.apply(crd);
    const thing = { apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 'x', namespace: 'default' }, spec: { size: 1 } };
    const created = await d.apply(thing);
    const tref = { apiVersion: 'example.com/v1', kind: 'Thing', namespace: 'default', name: 'x' };
    t.is(await d.applyStatus(tref, { phase: 'Ready', spec: 'not here' }), 'written');
    const live = server.object(tref)!;
    t.deepEqual(live.status, { phase: 'Ready', spec: 'not here' });
    t.deepEqual(live.spec, { size: 1 }, 'the spec is untouched');
    t.is((live.metadata as { generation: number }).generation, created.live?.metadata.generation as number, 'a status write is no new generation');
    t.true(server.requests.some((r) => r.method === 'PATCH' && r.path.startsWith('/apis/example.com/v1/namespaces/default/things/x/status')));
    t.true(server.managers(tref).some((m) => m.manager === 'kradle' && m.fields.includes('.status.phase')));
    t.is((await d.apply(thing)).action, 'unchanged', 'the status write is remembered, so the next no-op apply is unchanged');
    t.is(await d.applyStatus({ ...tref, name: 'missing' }, { phase: 'Ready' }), 'absent');
    t.is(server.object({ ...tref, name: 'missing' }), undefined, 'a status write never creates the object');
    t.is(await d.applyStatus({ apiVersion: 'example.com/v1', kind: 'Nope', namespace: 'default', name: 'x' }, {}), 'absent');
  }));

test('CRD fields unknown to client-node models survive apply (x-kubernetes-*, default)', (t) =>
  withDriver(async (d) => {
    const schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { mode: { type: 'string', default: 'Audit' } } };
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'things.example.com' },
      spec: { group: 'example.com', scope: 'Namespaced', names: { kind: 'Thing', plural: 'things', singular: 'thing', listKind: 'ThingList' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }] },
    };
    const out = await d.apply(crd);
    t.deepEqual(((out.live?.spec as { versions: { schema: { openAPIV3Schema: unknown } }[] }).versions[0].schema.openAPIV3Schema), schema);
  }));

test('a field another manager changed is a ConflictError; force takes it over', (t) =>
  withDriver(async (d, server) => {
    await d.apply(cm('a', { k: '1' }));
    server.put({ ...cm('a', { k: 'by-hand' }) } as never, 'kubectl-edit');
    const err = await t.throwsAsync(d.apply(cm('a', { k: '1' })), { instanceOf: ConflictError });
    t.deepEqual(err?.details.map((x) => x.field), ['.data.k']);
    t.regex(err!.message, /kubectl-edit/);
    t.is((await d.apply(cm('a', { k: '1' }), { force: true })).action, 'configured');
    t.deepEqual(server.managers(ref('a')).map((m) => m.manager), ['kradle']);
  }));

test('500s become UpstreamError whose message carries the Status message, sanitized, but no response body or headers', (t) =>
  withDriver(async (d, server) => {
    await d.apply(cm('a', { k: '1' }));
    server.faults.failNext(1, { method: 'PATCH', message: 'Internal error occurred: etcdserver: request timed out password=hunter2\nbody-marker' });
    const err = await t.throwsAsync(d.apply(cm('a', { k: '2' })), { instanceOf: UpstreamError });
    t.is(err!.message, 'apply v1 ConfigMap default/a: InternalError (HTTP 500): Internal error occurred: etcdserver: request timed out password=***');
    for (const leak of ['body-marker', 'hunter2', 'Headers', 'Body', 'content-type', '{']) t.false(err!.message.includes(leak), leak);
    t.is(err!.cause, undefined);
    server.faults.failNext(1, { method: 'GET' });
    await t.throwsAsync(d.get(ref('a')), { instanceOf: UpstreamError });
  }));

test('a Status message is cut to its first 300 characters; one about a Secret, or a 422\'s, is not kept at all', (t) =>
  withDriver(async (d, server) => {
    server.faults.failNext(1, { method: 'PATCH', message: `admission webhook "dump.example.com" denied the request: ${'x'.repeat(500)}` });
    const long = await t.throwsAsync(d.apply(cm('a', { k: '1' })), { instanceOf: UpstreamError });
    t.regex(long!.message, /^apply v1 ConfigMap default\/a: InternalError \(HTTP 500\): admission webhook "dump\.example\.com" denied the request: x+\.\.\.$/);
    t.true(long!.message.length < 400);
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, data: { token: 'c2VjcmV0LXZhbHVl' } };
    server.faults.failNext(1, { method: 'PATCH', message: 'admission webhook denied: data.token is c2VjcmV0LXZhbHVl' });
    const err = await t.throwsAsync(d.apply(secret), { instanceOf: UpstreamError });
    t.is(err!.message, 'apply v1 Secret default/s: InternalError (HTTP 500)');
    server.faults.failNext(1, { status: 422, method: 'PATCH', message: 'ConfigMap "a" is invalid: data: Invalid value: "hunter2"' });
    const invalid = await t.throwsAsync(d.apply(cm('a', { k: '1' })));
    t.is(invalid!.message, 'apply v1 ConfigMap default/a: Invalid (HTTP 422)');
  }));

test('servesKind is false until the CRD is applied; applying its objects waits for it', (t) =>
  withDriver(async (d) => {
    const policy = { apiVersion: 'kyverno.io/v1', kind: 'Policy', metadata: { name: 'p', namespace: 'default' }, spec: { rules: [] } };
    t.false(await d.servesKind('kyverno.io/v1', 'Policy'));
    const err = await t.throwsAsync(d.apply(policy), { instanceOf: WaitingError });
    t.is(err?.details[0]?.code, 'KIND_NOT_SERVED');
    t.is(await d.get({ apiVersion: 'kyverno.io/v1', kind: 'Policy', namespace: 'default', name: 'p' }), undefined);
    await d.apply({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'policies.kyverno.io' },
      spec: { group: 'kyverno.io', scope: 'Namespaced', names: { kind: 'Policy', plural: 'policies' }, versions: [{ name: 'v1', served: true, storage: true }] },
    });
    t.true(await d.servesKind('kyverno.io/v1', 'Policy'));
    t.is((await d.apply(policy)).action, 'created');
    t.true(await d.servesKind('v1', 'Namespace'));
    t.false(await d.servesKind('v1', 'NoSuchKind'));
  }));

test('a CRD removed while running: the next apply of its kind says KIND_NOT_SERVED at once, not NotFound until discovery expires', (t) =>
  withDriver(async (d, server) => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'policies.kyverno.io' },
      spec: { group: 'kyverno.io', scope: 'Namespaced', names: { kind: 'Policy', plural: 'policies' }, versions: [{ name: 'v1', served: true, storage: true }] },
    };
    const policy = { apiVersion: 'kyverno.io/v1', kind: 'Policy', metadata: { name: 'p', namespace: 'default' }, spec: { rules: [] } };
    await d.apply(crd);
    t.is((await d.apply(policy)).action, 'created');
    t.true(await d.servesKind('kyverno.io/v1', 'Policy'), 'cached, as a sync pass leaves it');
    server.remove({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'policies.kyverno.io' });
    const err = await t.throwsAsync(d.apply(policy), { instanceOf: WaitingError });
    t.is(err?.details[0]?.code, 'KIND_NOT_SERVED');
  }));

type Seen = [WatchEventType, string, string];

async function watching(d: LiveDriver) {
  const seen: Seen[] = [];
  const errors: unknown[] = [];
  const handle = await d.watch('v1', 'ConfigMap', { namespace: 'default' }, (type, o) => {
    seen.push([type, o.metadata.name, String((o.data as Record<string, string> | undefined)?.k)]);
  }, (e) => errors.push(e));
  return { seen, errors, handle };
}

test('watch sees existing objects, then ADDED, MODIFIED and DELETED', (t) =>
  withDriver(async (d) => {
    await d.apply(cm('old', { k: '0' }));
    const w = await watching(d);
    await d.apply(cm('a', { k: '1' }));
    await d.apply(cm('a', { k: '2' }));
    await d.delete(ref('a'));
    await eventually(() => w.seen.length >= 4, 'four events');
    w.handle.stop();
    t.deepEqual(w.seen, [['ADDED', 'old', '0'], ['ADDED', 'a', '1'], ['MODIFIED', 'a', '2'], ['DELETED', 'a', '2']]);
  }));

test('a long list is read in pages of 500, whole and filtered, and a watch started after it misses nothing', (t) =>
  withDriver(async (d, server) => {
    for (let i = 0; i < 1203; i++) server.put(cm(`cm-${String(i).padStart(4, '0')}`, { k: String(i) }, { half: String(i % 2) }) as never);
    const before = server.requests.length;
    const all = await d.list('v1', 'ConfigMap', { namespace: 'default' });
    t.is(all.length, 1203);
    t.is(new Set(all.map((o) => o.metadata.name)).size, 1203, 'no object twice');
    const pages = server.requests.slice(before).filter((r) => r.method === 'GET' && /\/configmaps\?/.test(r.path));
    t.is(pages.length, 3);
    t.true(pages.every((r) => r.path.includes('limit=500')));
    t.is(pages.filter((r) => r.path.includes('continue=')).length, 2);
    const odd = await d.list('v1', 'ConfigMap', { namespace: 'default', labelSelector: 'half=1' });
    t.deepEqual(odd.map((o) => o.metadata.name).sort(), all.filter((o) => o.metadata.labels?.half === '1').map((o) => o.metadata.name).sort());
    const w = await watching(d);
    t.is(w.seen.length, 1203, 'the watch starts from the listed objects');
    await d.apply(cm('cm-new', { k: 'new' }));
    await eventually(() => w.seen.length > 1203, 'the change after the list');
    w.handle.stop();
    t.deepEqual(w.seen.slice(1203), [['ADDED', 'cm-new', 'new']]);
  }));

test('a watch whose connection went silent is replaced after its server timeout, and misses nothing', (t) =>
  withDriver(async (d, server) => {
    server.faults.silenceNextWatches(1, { path: /\/configmaps$/ });
    const w = await watching(d);
    await d.apply(cm('a', { k: '1' }));
    await eventually(() => w.seen.some(([type, name]) => type === 'ADDED' && name === 'a'), 'the event, through the replacement watch');
    w.handle.stop();
    t.true(w.errors.length >= 1, 'the dead connection is reported');
  }, { watchTimeout: { minSeconds: 1, maxSeconds: 1, graceMs: 300 } }));

test('a dropped watch reconnects from its resourceVersion and misses nothing', (t) =>
  withDriver(async (d, server) => {
    const w = await watching(d);
    server.faults.failNext(2, { method: 'GET', path: /\/configmaps$/ }); // the first reconnects fail: back-off
    t.is(server.faults.dropWatches(), 1);
    await d.apply(cm('a', { k: '1' }));
    await d.apply(cm('a', { k: '2' }));
    await eventually(() => w.seen.length >= 2, 'two events after the drop');
    await eventually(() => server.openWatches() === 1, 'watch re-established');
    w.handle.stop();
    t.deepEqual(w.seen, [['ADDED', 'a', '1'], ['MODIFIED', 'a', '2']]);
    t.true(w.errors.some((e) => e instanceof UpstreamError));
  }));

test('410 Gone after a drop re-lists and reports the difference; a DELETED it infers carries the metadata, not the data', (t) =>
  withDriver(async (d, server) => {
    await d.apply(cm('stays', { k: '0' }));
    await d.apply({ ...cm('goes', { k: '0' }, { app: 'x' }), metadata: { name: 'goes', namespace: 'default', labels: { app: 'x' }, annotations: { 'kradle.a5c.ai/source': 'Team/default/goes' } } });
    const goesVersion = (await d.get(ref('goes')))!.metadata.resourceVersion;
    const w = await watching(d);
    const deleted: KubeObject[] = [];
    const other = await d.watch('v1', 'ConfigMap', { namespace: 'default' }, (type, o) => void (type === 'DELETED' && deleted.push(o)));
    server.faults.failNext(1, { method: 'GET', path: /\/configmaps$/ });
    server.faults.dropWatches();
    await d.apply(cm('stays', { k: '1' }));
    await d.delete(ref('goes'));
    await d.apply(cm('new', { k: '1' }));
    server.compactHistory();
    await eventually(() => w.seen.length >= 5 && deleted.length >= 1, 'the difference after a re-list');
    w.handle.stop();
    other.stop();
    t.deepEqual(w.seen.slice(2).sort(), [['ADDED', 'new', '1'], ['DELETED', 'goes', 'undefined'], ['MODIFIED', 'stays', '1']]);
    t.deepEqual(deleted, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'goes', namespace: 'default', resourceVersion: goesVersion, labels: { app: 'x' }, annotations: { 'kradle.a5c.ai/source': 'Team/default/goes' } } }]);
  }));

test('loadKubeConfig: explicit path, KUBECONFIG, none found, in-cluster service account', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kradle-kc-'));
  try {
    t.throws(() => loadKubeConfig({ path: join(dir, 'missing'), env: {} }), { instanceOf: NotFoundError });
    t.is(loadKubeConfig({ env: { HOME: dir, KUBECONFIG: join(dir, 'missing') }, serviceAccountDir: dir }), undefined);
    await writeFile(join(dir, 'token'), 'sa-token');
    const kc = loadKubeConfig({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: dir });
    t.is(kc?.getCurrentCluster()?.server, 'https://10.0.0.1:443');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('against a real cluster (KUBECONFIG)', async (t) => {
  if (!process.env.KUBECONFIG) {
    t.log('skipped: KUBECONFIG is not set, no real cluster to talk to');
    t.pass();
    return;
  }
  const kubeConfig = loadKubeConfig({ env: process.env });
  const d = createLiveDriver({ kubeConfig: kubeConfig! });
  t.true(await d.servesKind('v1', 'Namespace'));
  const name = `kradle-live-test-${process.pid}`;
  t.is((await d.apply(cm(name, { k: '1' }))).action, 'created');
  t.is((await d.apply(cm(name, { k: '1' }))).action, 'unchanged');
  t.is(await d.delete(ref(name)), 'deleted');
});

test('kept-alive connections the server closed while the process was busy are dropped, not failed on', (t) =>
  withDriver(async (d, server) => {
    const names = Array.from({ length: 12 }, (_, i) => `idle-${i}`);
    await Promise.all(names.map((n) => d.apply(cm(n, { k: '1' }))));
    // Every connection is back in the pool; the server closes them, and the process is busy (its event loop
    // blocked) while the closes arrive, so the pool still holds them when the next requests go out.
    await new Promise((r) => setTimeout(r, 50));
    server.closeIdleConnections();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    for (const n of names) t.is((await d.apply(cm(n, { k: '2' }))).action, 'configured', n);
  }));

test('objects the server answers with reach Kradle without metadata.managedFields: applies, gets, lists and watch events', (t) =>
  withDriver(async (d, server) => {
    const seen: KubeObject[] = [];
    const handle = await d.watch('v1', 'ConfigMap', { namespace: 'default' }, (_type, o) => void seen.push(o));
    const applied = await d.apply(cm('mf', { k: '1' }));
    // The server keeps field ownership; the driver drops it from what it hands over.
    t.truthy((server.object(ref('mf'))?.metadata as { managedFields?: unknown } | undefined)?.managedFields, 'the test server records managedFields');
    const got = await d.get(ref('mf'));
    const listed = await d.list('v1', 'ConfigMap', { namespace: 'default' });
    await eventually(() => seen.some((o) => o.metadata.name === 'mf'), 'the watch event');
    handle.stop();
    for (const [what, o] of [['apply', applied.live], ['get', got], ['list', listed[0]], ['watch', seen.find((x) => x.metadata.name === 'mf')]] as const) {
      t.is(o?.metadata.name, 'mf', what);
      t.false('managedFields' in (o?.metadata ?? {}), `${what} answer still carries managedFields`);
    }
  }));
