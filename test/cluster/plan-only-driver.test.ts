import test from 'ava';
import { createPlanOnlyDriver, type KubeObject } from '../../src/cluster/index.ts';

const cm = (namespace: string, name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data: { key: `${namespace}/${name}` },
});

test('what get, list, planned and plannedStatus read back is what was applied, not what the caller changed since', async (t) => {
  const driver = createPlanOnlyDriver();
  const obj = cm('a', 'one', { app: 'x' });
  await driver.apply(obj);
  const status = { phase: 'Planned', conditions: [{ type: 'Ready', status: 'Unknown' }] };
  await driver.applyStatus({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a', name: 'one' }, status);
  (obj.data as Record<string, string>).key = 'changed after apply';
  status.conditions[0]!.status = 'True';

  const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a', name: 'one' };
  const read = (await driver.get(ref))!;
  t.deepEqual(read, cm('a', 'one', { app: 'x' }));
  (read.data as Record<string, string>).key = 'changed by a reader';
  t.deepEqual(await driver.get(ref), cm('a', 'one', { app: 'x' }), 'a reader gets its own copy');
  t.deepEqual(driver.planned(), [cm('a', 'one', { app: 'x' })]);
  t.deepEqual(driver.plannedStatus(ref), { phase: 'Planned', conditions: [{ type: 'Ready', status: 'Unknown' }] });
  t.false('status' in read, 'the status is kept apart from the manifest');

  await driver.delete(ref);
  t.is(await driver.get(ref), undefined);
  t.is(driver.plannedStatus(ref), undefined);
});

test('list filters by exact apiVersion, kind, namespace (not a namespace sharing its prefix) and labels', async (t) => {
  const driver = createPlanOnlyDriver();
  for (const o of [cm('a', 'one', { app: 'x' }), cm('ab', 'two', { app: 'x' }), cm('a', 'three', { app: 'y' })]) await driver.apply(o);
  await driver.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'one', namespace: 'a' } });
  await driver.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'a' } });
  await driver.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } });

  const names = (xs: KubeObject[]) => xs.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
  t.deepEqual(names(await driver.list('v1', 'ConfigMap', { namespace: 'a' })), ['a/one', 'a/three']);
  t.deepEqual(names(await driver.list('v1', 'ConfigMap', { labelSelector: 'app=x' })), ['a/one', 'ab/two']);
  t.deepEqual(names(await driver.list('v1', 'ConfigMap')), ['a/one', 'a/three', 'ab/two']);
  t.deepEqual(names(await driver.list('apps/v1', 'Deployment')), ['a/d']);
  t.deepEqual(await driver.list('apps/v1beta1', 'Deployment'), [], 'another version of the same group is not listed');
  t.deepEqual(names(await driver.list('v1', 'Namespace')), ['/a']);
  t.deepEqual(await driver.list('v1', 'ConfigMap', { namespace: 'c' }), []);
});
