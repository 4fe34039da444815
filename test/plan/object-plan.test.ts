import test from 'ava';
import { HASH_ANNOTATION, SOURCE_ANNOTATION, type KubeObject } from '../../src/cluster/index.ts';
import { keyText, objectKey, planObjects, PLATFORM_SOURCE_KEY, targetKey, type InventoryView } from '../../src/plan/index.ts';
import type { InventoryEntry } from '../../src/store/types.ts';

const SOURCE = 'Team/kradle-org-a/t';
const obj = (kind: string, name: string, hash: string, source = SOURCE): KubeObject => ({
  apiVersion: kind === 'Namespace' ? 'v1' : 'kradle.a5c.ai/v1alpha1', kind,
  metadata: { name, ...(kind === 'Namespace' ? {} : { namespace: 'kradle-org-a' }), annotations: { [HASH_ANNOTATION]: hash, ...(source === PLATFORM_SOURCE_KEY ? {} : { [SOURCE_ANNOTATION]: source }) } },
});
const entry = (o: KubeObject, syncStatus: InventoryEntry['syncStatus'], source = SOURCE): InventoryEntry => ({
  sourceKey: source, org: 'a', revision: 'r1', syncStatus, health: 'Healthy',
  contentHash: o.metadata.annotations![HASH_ANNOTATION]!,
  target: { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace ?? null, name: o.metadata.name },
});
const view = (entries: InventoryEntry[]): InventoryView => new Map(entries.map((e) => [targetKey(e.target), e]));

test('one key for an object across versions: {group, kind, namespace, name}', (t) => {
  t.deepEqual(objectKey({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'n' } }), { group: 'apps', kind: 'Deployment', namespace: 'n', name: 'd' });
  t.is(keyText(objectKey({ apiVersion: 'v1', kind: 'Namespace', name: 'x' })), '/Namespace//x');
  t.is(targetKey({ apiVersion: 'kyverno.io/v2', kind: 'PolicyException', namespace: 'n', name: 'e' }), keyText(objectKey({ apiVersion: 'kyverno.io/v2beta1', kind: 'PolicyException', namespace: 'n', name: 'e' })));
});

test('the plan applies what is new, changed or not settled, prunes what left, and never prunes platform objects', (t) => {
  const same = obj('Team', 'same', 'h1');
  const changed = obj('Team', 'changed', 'h2');
  const failed = obj('Team', 'failed', 'h3');
  const fresh = obj('Team', 'fresh', 'h4');
  const ns = obj('Namespace', 'kradle-org-a', 'h5', 'Organization/kradle-system/a');
  const gone = obj('Team', 'gone', 'h6');
  const crd = obj('Namespace', 'kradle-system', 'h7', PLATFORM_SOURCE_KEY);
  const inventory = view([
    entry(same, 'Synced'), { ...entry(changed, 'Synced'), contentHash: 'old' }, entry(failed, 'SyncFailed'), entry(gone, 'Synced'),
    entry(crd, 'Synced', PLATFORM_SOURCE_KEY), { ...entry(obj('Team', 'pruned-before', 'h8'), 'Pruned') },
  ]);
  const desired = new Map([[SOURCE, [same, changed, failed, fresh]], ['Organization/kradle-system/a', [ns]]]);
  const plan = planObjects(desired, inventory, { full: false });
  t.deepEqual(plan.apply.map((o) => o.metadata.name), ['kradle-org-a', 'changed', 'failed', 'fresh'], 'dependency order: the namespace first');
  t.deepEqual(plan.prune.map((e) => e.target.name), ['gone']);
  t.is(plan.unchanged, 1);
  t.deepEqual([...plan.changedSources].sort(), ['Organization/kradle-system/a', SOURCE]);
  t.is(planObjects(desired, inventory, { full: true }).apply.length, 5, 'a full resync applies everything');
});

test('a plan-only driver settles on Planned; a live one still applies what was only planned', (t) => {
  const o = obj('Team', 'x', 'h1');
  const inventory = view([entry(o, 'Planned')]);
  const desired = new Map([[SOURCE, [o]]]);
  t.is(planObjects(desired, inventory, { full: false, settled: 'Planned' }).apply.length, 0);
  t.is(planObjects(desired, inventory, { full: false }).apply.length, 1);
});

test('a scoped plan finds what the full plan finds when the scope names every changed group and unsettled object', (t) => {
  const A = 'Team/kradle-org-a/a';
  const B = 'Team/kradle-org-a/b';
  const C = 'Team/kradle-org-a/c';
  const kept = obj('Team', 'kept', 'h1', A);
  const edited = obj('Team', 'edited', 'h2', B);
  const failedBefore = obj('Team', 'failed', 'h3', A);
  const left = obj('Team', 'left', 'h4', C);
  const notPruned = obj('Team', 'prune-failed', 'h5', A);
  const moved = obj('Team', 'moved', 'h6', B);
  const inventory = view([
    entry(kept, 'Synced', A), { ...entry(edited, 'Synced', B), contentHash: 'old' }, entry(failedBefore, 'SyncFailed', A),
    entry(left, 'Synced', C), entry(notPruned, 'Synced', A), { ...entry(moved, 'Synced', C), contentHash: 'of-c' },
  ]);
  // B changed, C was deleted (its object `moved` now comes from B); `failed` and `prune-failed` did not settle.
  const desired = new Map([[A, [kept, failedBefore]], [B, [edited, moved]]]);
  const owner = new Map([...desired].flatMap(([source, objs]) => objs.map((o) => [keyText(objectKey(o)), source] as const)));
  const bySource = new Map<string, string[]>();
  for (const [key, e] of inventory) bySource.set(e.sourceKey, [...(bySource.get(e.sourceKey) ?? []), key]);
  const full = planObjects(desired, inventory, { full: false });
  const scoped = planObjects(desired, inventory, {
    full: false,
    scope: {
      sources: new Set([B, C]), objects: new Set([failedBefore, notPruned].map((o) => keyText(objectKey(o)))),
      ownerOf: (key) => owner.get(key), inventoryOf: (source) => bySource.get(source) ?? [], count: 4,
    },
  });
  const names = (p: typeof full) => ({ apply: p.apply.map((o) => o.metadata.name).sort(), prune: p.prune.map((e) => e.target.name).sort(), unchanged: p.unchanged, changed: [...p.changedSources].sort() });
  t.deepEqual(names(scoped), names(full));
  t.deepEqual(names(full).prune, ['left', 'prune-failed']);
  t.deepEqual(names(full).apply, ['edited', 'failed', 'moved']);
  const forced = planObjects(desired, inventory, { full: false, forced: new Set([A]) });
  t.deepEqual(forced.apply.map((o) => o.metadata.name).sort(), ['edited', 'failed', 'kept', 'moved'], 'a forced group is applied whatever the inventory says');
});
