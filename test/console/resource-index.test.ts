import test from 'ava';
import { resourceKey, tenantNamespace } from '../../src/kinds/index.ts';
import { createStore } from '../../src/store/index.ts';
import type { InventoryEntry, Store } from '../../src/store/types.ts';
import { client, makeToken, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSync } from '../support/api-fakes.ts';

const N = 250;
const teams = Array.from({ length: N }, (_, i) => doc('Team', 'big', `team-${String(i).padStart(3, '0')}`, { displayName: `T${i}` }));
// The revision declares the org (org-read routes answer 404 for one it does not); its Organization has no object.
const org = doc('Organization', 'big', 'big', { displayName: 'Big', slug: 'big' });

function entry(name: string, syncStatus: InventoryEntry['syncStatus'], health: InventoryEntry['health']): InventoryEntry {
  const id = { kind: 'Team', namespace: tenantNamespace('big'), name };
  return {
    sourceKey: resourceKey(id), org: 'big', target: { apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', namespace: id.namespace, name },
    revision: 'rev-1', contentHash: 'h', syncStatus, health,
  };
}

/** The real store, with its inventory reads counted: what a request costs is how often it reads the whole org. */
function counted(store: Store) {
  const reads = { list: 0 };
  const inventory = { ...store.inventory, list: (f?: Parameters<Store['inventory']['list']>[0]) => (reads.list++, store.inventory.list(f)) };
  return { store: new Proxy(store, { get: (s, k) => (k === 'inventory' ? inventory : Reflect.get(s, k)) }), reads };
}

test('the org index is paged, filtered, searched and sorted worst first on the server, built once per inventory version and desired state', async (t) => {
  const real = createStore({ dataDir: 'memory://' });
  await real.migrate();
  await real.inventory.upsert(teams.map((d) => entry(d.metadata.name, 'Synced', 'Healthy')));
  const { store, reads } = counted(real);
  const config = fakeConfig([org, ...teams]);
  const api = await startApi({ store, config, sync: fakeSync() });
  t.teardown(async () => {
    await api.close();
    await real.close();
  });
  const c = client(api.url, await makeToken(api.app, 'big', 'reader'));
  const index = async (query: string) => (await c.get(`/api/orgs/big/resource-index?${query}`)).body;

  const first = await index('limit=100');
  t.like(first, { total: N, offset: 0, limit: 100, kinds: { Team: N }, counts: { Synced: N, Healthy: N } });
  t.is(first.items.length, 100, 'one page, not the org');
  t.deepEqual(first.items.slice(0, 2).map((r: any) => r.name), ['team-000', 'team-001']);
  t.like(await index('q=TEAM-24'), { total: 10 });
  t.like(await index('offset=240&limit=100'), { total: N, items: { length: 10 } });
  t.is(reads.list, 1, 'pages, searches and filters of one version read the inventory once');

  // A sync changes two objects: the next request sees it (a new version), worst first, and the facets move.
  await real.inventory.upsert([entry('team-200', 'SyncFailed', 'Unknown'), entry('team-100', 'Synced', 'Degraded')]);
  const after = await index('limit=3');
  t.deepEqual(after.items.map((r: any) => `${r.name} ${r.syncStatus} ${r.health}`), ['team-200 SyncFailed Unknown', 'team-100 Synced Degraded', 'team-000 Synced Healthy']);
  t.like(after.counts, { SyncFailed: 1, Degraded: 1, Synced: N - 1 });
  t.like(await index('status=SyncFailed'), { total: 1, items: [{ name: 'team-200' }] });
  t.is(reads.list, 2);

  // An object leaving the inventory is a new version too (the count drops): a resource with no object is Unknown.
  await real.inventory.remove([entry('team-200', 'SyncFailed', 'Unknown').target]);
  t.like(await index('q=team-200'), { total: 1, items: [{ syncStatus: 'Unknown', objects: 0 }] });
  t.like(await index('status=SyncFailed'), { total: 0 });
  // It ranks after a failure and before a degraded but synced one.
  await real.inventory.upsert([entry('team-050', 'SyncFailed', 'Healthy')]);
  t.deepEqual((await index('limit=3')).items.map((r: any) => `${r.name} ${r.syncStatus}`), ['team-050 SyncFailed', 'team-200 Unknown', 'team-100 Synced']);
  await real.inventory.upsert([entry('team-050', 'Synced', 'Healthy')]);

  // A new revision (a commit) with the same inventory is rebuilt as well.
  config.set([org, ...teams, doc('Team', 'big', 'zzz-new', { displayName: 'new' })]);
  t.like(await index('q=zzz'), { total: 1, revision: 'rev-2', items: [{ name: 'zzz-new' }] });
  t.is(reads.list, 5);

  t.is((await c.get('/api/orgs/big/resource-index?status=Nope')).status, 400);
});
