import test from 'ava';
import { KubernetesObjectApi, PatchStrategy, Watch, type KubernetesObject } from '@kubernetes/client-node';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';

const cm = (name: string, data: Record<string, string>, labels: Record<string, string> = {}) =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels }, data }) as KubernetesObject;

async function withServer(fn: (s: KubeApiServer, api: KubernetesObjectApi) => Promise<void>) {
  const server = await startKubeApiServer();
  try {
    await fn(server, KubernetesObjectApi.makeApiClient(server.kubeConfig));
  } finally {
    await server.stop();
  }
}

// client-node's ApiException carries the response body as text.
const bodyOf = (err: { body: string }) => JSON.parse(err.body);
const statusOf = async (p: Promise<unknown>) => p.then(() => 200, (e: { code?: number }) => e.code);

test('client-node creates, reads, lists by label, replaces and deletes through the kubeconfig', (t) =>
  withServer(async (server, api) => {
    const created = await api.create(cm('a', { k: 'v' }, { team: 'x' }));
    await api.create(cm('b', { k: 'w' }, { team: 'y' }));
    t.truthy(created.metadata?.uid);
    t.is(created.metadata?.generation, 1);
    const listed = await api.list('v1', 'ConfigMap', 'default', undefined, undefined, undefined, undefined, 'team in (x,z)');
    t.deepEqual(listed.items.map((i) => i.metadata?.name), ['a']);
    const read = await api.read<KubernetesObject & { data: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' } });
    read.data.k = 'changed';
    const replaced = await api.replace(read);
    t.not(replaced.metadata?.resourceVersion, created.metadata?.resourceVersion);
    t.is(await statusOf(api.create(cm('a', {}))), 409);
    await api.delete(cm('a', {}));
    t.is(await statusOf(api.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' } })), 404);
    t.deepEqual(server.object({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'b' })?.data, { k: 'w' });
    t.is(server.objects('v1', 'ConfigMap', 'default').length, 1);
  }));

test('a DELETE whose preconditions the object does not meet is 409 Conflict and deletes nothing', (t) =>
  withServer(async (server, api) => {
    const created = await api.create(cm('a', { k: 'v' }));
    const { uid, resourceVersion } = created.metadata!;
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'a' };
    const err = await api.delete(cm('a', {}), undefined, undefined, undefined, undefined, undefined, { preconditions: { uid: 'another' } }).catch((e: { code: number; body: string }) => e);
    t.like(err, { code: 409 });
    t.like(bodyOf(err as { body: string }), { kind: 'Status', code: 409, reason: 'Conflict' });
    t.regex(bodyOf(err as { body: string }).message, /Precondition failed: UID in precondition: another/);
    await api.patch(cm('a', { k: 'w' }), undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);
    t.is(await statusOf(api.delete(cm('a', {}), undefined, undefined, undefined, undefined, undefined, { preconditions: { uid, resourceVersion } })), 409, 'changed since');
    t.truthy(server.object(ref));
    const now = server.object(ref)!.metadata as { resourceVersion: string };
    await api.delete(cm('a', {}), undefined, undefined, undefined, undefined, undefined, { preconditions: { uid, resourceVersion: now.resourceVersion } });
    t.is(server.object(ref), undefined);
  }));

test('invalid names are 422 Status objects; a missing namespace is 404', (t) =>
  withServer(async (_server, api) => {
    const err = await api.create(cm('Not_Valid', {})).catch((e) => e);
    t.is(err.code, 422);
    t.is(bodyOf(err).kind, 'Status');
    t.is(bodyOf(err).details.causes[0].field, 'metadata.name');
    const elsewhere = { ...cm('a', {}), metadata: { name: 'a', namespace: 'nowhere' } };
    t.is(await statusOf(api.create(elsewhere)), 404);
  }));

test('apply tracks field managers: conflict 409 lists the fields, force takes them over, dropped fields go', (t) =>
  withServer(async (server, api) => {
    const apply = (obj: KubernetesObject, manager: string, force?: boolean) =>
      api.patch(obj, undefined, undefined, manager, force, PatchStrategy.ServerSideApply);
    const first = await apply(cm('a', { one: '1', two: '2' }), 'alice');
    const again = await apply(cm('a', { one: '1', two: '2' }), 'alice');
    t.is(again.metadata?.resourceVersion, first.metadata?.resourceVersion, 'a no-op apply writes nothing');
    await apply(cm('a', { one: '1' }), 'bob'); // same value: shared ownership, no conflict
    const err = await apply(cm('a', { one: 'other' }), 'bob').catch((e) => e);
    t.is(err.code, 409);
    t.deepEqual(bodyOf(err).details.causes.map((c: { field: string }) => c.field), ['.data.one']);
    t.regex(bodyOf(err).message, /conflict with "alice"/);
    await apply(cm('a', { one: 'other' }), 'bob', true);
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'a' };
    t.deepEqual(server.managers(ref).find((m) => m.manager === 'alice')?.fields, ['.data.two']);
    await apply(cm('a', {}), 'alice'); // alice stops applying data.two; nobody else owns it
    t.deepEqual(server.object(ref)?.data, { one: 'other' });
  }));

test('CRDs make their kinds served, and deleting them stops serving', (t) =>
  withServer(async (_server, api) => {
    const policy = { apiVersion: 'kyverno.io/v1', kind: 'Policy', metadata: { name: 'p', namespace: 'default' }, spec: { rules: [] } };
    t.is(await statusOf(api.create(policy)), 404);
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'policies.kyverno.io' },
      spec: { group: 'kyverno.io', scope: 'Namespaced', names: { kind: 'Policy', plural: 'policies', singular: 'policy', listKind: 'PolicyList' }, versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} } }] },
    };
    await api.create(crd);
    const created = await api.create(policy);
    t.is(created.metadata?.name, 'p');
    await api.delete(crd);
    const fresh = KubernetesObjectApi.makeApiClient(_server.kubeConfig);
    t.not(await statusOf(fresh.read(policy)), 200);
  }));

test('status is written through the status subresource only; spec changes bump generation', (t) =>
  withServer(async (server, api) => {
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'default' }, spec: { replicas: 1 }, status: { replicas: 9 } };
    const apply = (obj: KubernetesObject) => api.patch(obj, undefined, undefined, 'kradle', false, PatchStrategy.ServerSideApply);
    const created = await apply(dep);
    t.is((created as { status?: unknown }).status, undefined);
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'd' };
    server.setStatus(ref, { availableReplicas: 1 });
    const bumped = await apply({ ...dep, spec: { replicas: 2 } } as KubernetesObject);
    t.is(bumped.metadata?.generation, 2);
    t.is((bumped as { status?: { availableReplicas?: number } }).status?.availableReplicas, 1);
  }));

test('deleting a namespace deletes its objects', (t) =>
  withServer(async (server, api) => {
    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    await api.create({ ...cm('a', {}), metadata: { name: 'a', namespace: 'team' } });
    await api.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    t.deepEqual(server.objects('v1', 'ConfigMap', 'team'), []);
  }));

test('faults: the next N matching requests fail with 500', (t) =>
  withServer(async (server, api) => {
    server.faults.failNext(1, { method: 'POST' });
    t.is(await statusOf(api.create(cm('a', {}))), 500);
    t.is(await statusOf(api.create(cm('a', {}))), 200);
  }));

test('watch replays from a resourceVersion, sends bookmarks, and answers 410 once history is compacted', (t) =>
  withServer(async (server, api) => {
    const start = server.resourceVersion();
    await api.create(cm('a', {}));
    const events: string[] = [];
    const done = new Promise<void>((resolve) => {
      void new Watch(server.kubeConfig).watch('/api/v1/namespaces/default/configmaps', { resourceVersion: start, allowWatchBookmarks: true }, (type, obj) => {
        events.push(type === 'BOOKMARK' ? type : `${type} ${obj.metadata.name}`);
        if (type === 'BOOKMARK') resolve();
      }, () => undefined).then((c) => done.then(() => c.abort()));
    });
    await done;
    t.deepEqual(events.slice(0, 2), ['ADDED a', 'BOOKMARK']);
    server.compactHistory();
    const gone = await new Promise<{ type: string; code: number }>((resolve) => {
      void new Watch(server.kubeConfig).watch('/api/v1/namespaces/default/configmaps', { resourceVersion: start }, (type, obj) => resolve({ type, code: obj.code }), () => undefined);
    });
    t.deepEqual(gone, { type: 'ERROR', code: 410 });
  }));
