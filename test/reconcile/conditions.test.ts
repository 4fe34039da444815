import test from 'ava';
import {
  derivePhase, getCondition, markFalse, markReconciling, markStalled, markTrue, setCondition, summarize,
  type Condition, type Phase,
} from '../../src/reconcile/index.ts';

const T0 = '2025-01-01T00:00:00.000Z';
const T1 = '2025-01-01T01:00:00.000Z';

const base = (): Condition[] => markTrue([], 'FetchFailed', 'UpstreamFailed', 'git server returned 502', { now: T0, observedGeneration: 1 });

test('setCondition keeps lastTransitionTime when nothing but the generation changed', (t) => {
  const next = setCondition(base(), { type: 'FetchFailed', status: 'True', reason: 'UpstreamFailed', message: 'git server returned 502', observedGeneration: 2 }, T1);
  t.is(next[0]!.lastTransitionTime, T0);
  t.is(next[0]!.observedGeneration, 2);
});

test('setCondition moves lastTransitionTime when status, reason or message changes', (t) => {
  const changes = [
    { status: 'False' as const, reason: 'UpstreamFailed', message: 'git server returned 502' },
    { status: 'True' as const, reason: 'NotFound', message: 'git server returned 502' },
    { status: 'True' as const, reason: 'UpstreamFailed', message: 'git server returned 503' },
  ];
  for (const c of changes) {
    const next = setCondition(base(), { type: 'FetchFailed', ...c }, T1);
    t.is(next[0]!.lastTransitionTime, T1, JSON.stringify(c));
    t.is(next[0]!.observedGeneration, 1, 'the generation carries over when not given');
  }
});

test('setCondition is pure, keeps positions and appends new types', (t) => {
  const list = markTrue(base(), 'ApplyFailed', 'Conflict', 'field owned by kubectl', { now: T0 });
  const frozen = structuredClone(list);
  const next = setCondition(list, { type: 'FetchFailed', status: 'False', reason: 'Fetched', message: 'ok' }, T1);
  t.deepEqual(list, frozen);
  t.deepEqual(next.map((c) => c.type), ['FetchFailed', 'ApplyFailed']);
  t.deepEqual(setCondition(next, { type: 'X', status: 'True', reason: 'R', message: 'm' }, T1).map((c) => c.type), ['FetchFailed', 'ApplyFailed', 'X']);
});

test('condition messages never carry credentials', (t) => {
  const list = markTrue([], 'FetchFailed', 'UpstreamFailed', 'clone https://bot:hunter2@git.example.com/repo failed, token=abc123', { now: T0 });
  const msg = getCondition(list, 'FetchFailed')!.message;
  t.false(msg.includes('hunter2'));
  t.false(msg.includes('abc123'));
});

test('Reconciling and Stalled exclude each other', (t) => {
  let list = markReconciling([], 'Progressing', 'applying 3 objects', { now: T0 });
  list = markStalled(list, 'ValidationFailed', 'bad spec', { now: T0 });
  t.deepEqual(list.map((c) => c.type), ['Stalled']);
  list = markReconciling(list, 'Progressing', 'retrying', { now: T1 });
  t.deepEqual(list.map((c) => [c.type, c.status]), [['Reconciling', 'True']]);
});

test('summarize derives Ready from the negative conditions, then Stalled, then Reconciling', (t) => {
  const negatives = ['FetchFailed', 'ApplyFailed'];
  const cases: { name: string; list: Condition[]; ready: [string, string] }[] = [
    { name: 'nothing failed', list: [], ready: ['True', 'Succeeded'] },
    { name: 'a negative condition that is False does not count', list: markFalse([], 'ApplyFailed', 'Applied', 'ok', { now: T0 }), ready: ['True', 'Succeeded'] },
    {
      name: 'the first failed condition in the given order explains Ready',
      list: markTrue(markTrue([], 'ApplyFailed', 'Conflict', 'c', { now: T0 }), 'FetchFailed', 'UpstreamFailed', 'u', { now: T0 }),
      ready: ['False', 'UpstreamFailed'],
    },
    { name: 'stalled', list: markStalled([], 'ValidationFailed', 'v', { now: T0 }), ready: ['False', 'ValidationFailed'] },
    { name: 'work under way', list: markReconciling([], 'Progressing', 'p', { now: T0 }), ready: ['Unknown', 'Progressing'] },
    { name: 'an unrelated True condition is ignored', list: markTrue([], 'Suspended', 'ByUser', 's', { now: T0 }), ready: ['True', 'Succeeded'] },
    {
      name: 'a stale Ready=True is overridden',
      list: markTrue(markTrue([], 'Ready', 'Succeeded', 'ok', { now: T0 }), 'ApplyFailed', 'Conflict', 'c', { now: T0 }),
      ready: ['False', 'Conflict'],
    },
  ];
  for (const c of cases) {
    const ready = getCondition(summarize(c.list, negatives, { now: T1, observedGeneration: 4 }), 'Ready')!;
    t.deepEqual([ready.status, ready.reason], c.ready, c.name);
    t.is(ready.observedGeneration, 4, c.name);
  }
});

test('derivePhase reads the conditions', (t) => {
  const cases: [Condition[], Phase][] = [
    [[], 'Pending'],
    [markReconciling([], 'Progressing', 'p', { now: T0 }), 'Reconciling'],
    [summarize([], [], { now: T0 }), 'Ready'],
    [summarize(markTrue([], 'ApplyFailed', 'Conflict', 'c', { now: T0 }), ['ApplyFailed'], { now: T0 }), 'Failed'],
    [summarize(markStalled([], 'ValidationFailed', 'v', { now: T0 }), [], { now: T0 }), 'Stalled'],
    [summarize(markReconciling([], 'Progressing', 'p', { now: T0 }), [], { now: T0 }), 'Reconciling'],
  ];
  for (const [list, phase] of cases) t.is(derivePhase(list), phase, JSON.stringify(list));
});
