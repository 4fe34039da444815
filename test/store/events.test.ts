import test from 'ava';
import type { Store, StoreEvent } from '../../src/store/index.ts';
import { BATCH_ROWS } from '../../src/store/batches.ts';
import { pullRequest, testDrivers, uniqueName } from '../support/store.ts';

/** Collects a subscription's events until `count` arrived. */
function collect(store: Store, afterSeq: number, count: number, org?: string) {
  const got: StoreEvent[] = [];
  let done!: () => void;
  const arrived = new Promise<void>((resolve) => (done = resolve));
  const sub = store.events.subscribe(afterSeq, (e) => {
    got.push(e);
    if (got.length >= count) done();
  }, { org });
  return { got, arrived, close: () => sub.close() };
}

for (const d of testDrivers(test)) {
  test(`${d.name}: every write appends one event with the object, in the same order`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    const ns = `kradle-org-${org}`;
    const start = await store.events.latestSeq();
    const a = await store.resources.create(pullRequest(org, 'a'), { actor: 'alice' });
    const b = await store.resources.updateStatus({ ...a, status: { phase: 'Open' } });
    await store.resources.delete('PullRequest', ns, 'a');
    const events = await store.events.since(start, { org });
    t.deepEqual(events.map((e) => [e.type, e.kind, e.namespace, e.name, e.org, e.resourceVersion]), [
      ['ADDED', 'PullRequest', ns, 'a', org, a.metadata.resourceVersion],
      ['MODIFIED', 'PullRequest', ns, 'a', org, b.metadata.resourceVersion],
      ['DELETED', 'PullRequest', ns, 'a', org, b.metadata.resourceVersion],
    ]);
    t.deepEqual(events[0]!.payload, a);
    t.is(events[0]!.actor, 'alice');
    t.deepEqual(events[1]!.payload, b);
    t.true(events[0]!.seq < events[1]!.seq && events[1]!.seq < events[2]!.seq);
    const published = await store.events.publish({ org, type: 'SyncSucceeded', kind: 'Sync', name: 'rev-1', payload: { rev: 'abc' } });
    t.is((await store.events.latestSeq()) >= published.seq, true);
    t.deepEqual((await store.events.since(events[2]!.seq, { org })).map((e) => e.type), ['SyncSucceeded']);
  });

  test(`${d.name}: a failure inside a transaction leaves no row and no event`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    const ns = `kradle-org-${org}`;
    const before = await store.events.since(0, { org });
    await t.throwsAsync(
      store.transaction(async (tx) => {
        await tx.resources.create(pullRequest(org, 'one'));
        await tx.events.publish({ org, type: 'Custom', kind: 'Note', name: 'n' });
        t.truthy(await tx.resources.get('PullRequest', ns, 'one'), 'visible inside the transaction');
        throw new Error('boom');
      }),
      { message: 'boom' },
    );
    t.is(await store.resources.get('PullRequest', ns, 'one'), undefined);
    t.deepEqual(await store.events.since(0, { org }), before);
    const kept = await store.transaction(async (tx) => {
      await tx.resources.create(pullRequest(org, 'two'));
      return tx.resources.create(pullRequest(org, 'three'));
    });
    t.is(kept.metadata.name, 'three');
    t.deepEqual((await store.events.since(0, { org })).map((e) => e.name), ['two', 'three']);
  });

  test(`${d.name}: a subscriber that reconnects from sequence N gets exactly the events after N`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    const start = await store.events.latestSeq();
    for (let i = 0; i < 5; i++) await store.resources.create(pullRequest(org, `pr-${i}`));
    const first = collect(store, start, 3, org);
    await first.arrived;
    first.close();
    const n = first.got[2]!.seq;
    const second = collect(store, n, 7, org);
    for (let i = 5; i < 10; i++) await store.resources.create(pullRequest(org, `pr-${i}`));
    await second.arrived;
    second.close();
    const all = await store.events.since(start, { org });
    t.deepEqual(second.got.map((e) => e.seq), all.filter((e) => e.seq > n).map((e) => e.seq));
    t.deepEqual(second.got.map((e) => e.name), ['pr-3', 'pr-4', 'pr-5', 'pr-6', 'pr-7', 'pr-8', 'pr-9']);
    t.true(second.got.every((e) => e.org === org), 'org filter holds');
  });

  test(`${d.name}: publishMany of more events than one batch of rows keeps array order, and a bad one publishes none`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    const start = await store.events.latestSeq();
    const list = Array.from({ length: BATCH_ROWS * 2 + 3 }, (_, i) => ({ org, type: 'ResourceCreated', kind: 'Team', name: `t${i}` }));
    const published = await store.events.publishMany(list);
    t.deepEqual(published.map((e) => e.name), list.map((e) => e.name));
    const seqs = published.map((e) => e.seq);
    t.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    t.deepEqual((await store.events.since(start, { org, limit: 10_000 })).map((e) => e.seq), seqs);
    // A NUL cannot be stored in jsonb: the last batch fails after two were written, and none stays.
    const after = await store.events.latestSeq();
    await t.throwsAsync(store.events.publishMany([...list, { org, type: 'ResourceCreated', kind: 'Team', name: 'bad', payload: { s: 'a\u0000b' } }]));
    t.deepEqual(await store.events.since(after, { org }), []);
  });

  test(`${d.name}: publishMany appends a batch in array order, filtered by org, and a subscriber resumes inside it`, async (t) => {
    const store = await d.store();
    const [org, other] = [uniqueName('org'), uniqueName('org')];
    const start = await store.events.latestSeq();
    const sub = collect(store, start, 4, org);
    t.deepEqual(await store.events.publishMany([]), []);
    const batch = await store.events.publishMany([
      { org, type: 'ResourceCreated', kind: 'Team', namespace: `kradle-org-${org}`, name: 'b', payload: { n: 1 } },
      { org: other, type: 'ResourceCreated', kind: 'Team', name: 'x' },
      { org, type: 'ResourceChanged', kind: 'Team', name: 'a', actor: 'alice', payload: ['list', null] },
      { org: null, type: 'SyncSucceeded', kind: 'SyncRun', name: '7' },
      { org, type: 'ResourceDeleted', kind: 'Team', name: 'c' },
      { org, type: 'SyncSucceeded', kind: 'SyncRun', name: '7', payload: { errors: [] } },
    ]);
    t.deepEqual(batch.map((e) => e.name), ['b', 'x', 'a', '7', 'c', '7']);
    const seqs = batch.map((e) => e.seq);
    t.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    t.is(new Set(seqs).size, 6);
    t.deepEqual(batch[0]!.payload, { n: 1 });
    t.is(batch[0]!.namespace, `kradle-org-${org}`);
    t.is(batch[1]!.namespace, null);
    t.is(batch[2]!.actor, 'alice');
    t.deepEqual(batch[2]!.payload, ['list', null]);
    t.is(batch[3]!.org, null);
    t.deepEqual(await store.events.since(start, { org }), batch.filter((e) => e.org === org));
    await sub.arrived;
    sub.close();
    t.deepEqual(sub.got.map((e) => [e.type, e.name]), [['ResourceCreated', 'b'], ['ResourceChanged', 'a'], ['ResourceDeleted', 'c'], ['SyncSucceeded', '7']]);
    // A subscriber that stopped in the middle of the batch gets exactly the rest of it.
    const rest = collect(store, batch[2]!.seq, 2, org);
    await rest.arrived;
    rest.close();
    t.deepEqual(rest.got.map((e) => e.seq), [batch[4]!.seq, batch[5]!.seq]);
    await t.throwsAsync(store.events.publishMany([{ org, type: 'X', kind: 'Team', name: 'ok' }, { org, type: '', kind: 'Team', name: 'bad' }]), { message: /needs a type/ });
    t.deepEqual(await store.events.since(batch[5]!.seq, { org }), [], 'a batch with a bad event writes none of it');
  });

  test(`${d.name}: publishMany inside a transaction rolls back with it`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    await t.throwsAsync(store.transaction(async (tx) => {
      await tx.events.publishMany([{ org, type: 'A', kind: 'Note', name: 'one' }, { org, type: 'B', kind: 'Note', name: 'two' }]);
      throw new Error('boom');
    }), { message: 'boom' });
    t.deepEqual(await store.events.since(0, { org }), []);
    await store.transaction((tx) => tx.events.publishMany([{ org, type: 'A', kind: 'Note', name: 'three' }]));
    t.deepEqual((await store.events.since(0, { org })).map((e) => e.name), ['three']);
  });

  test(`${d.name}: concurrent writers still deliver every event once, in seq order`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    const start = await store.events.latestSeq();
    const sub = collect(store, start, 40, org);
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.resources.create(pullRequest(org, `c-${i}`))));
    await sub.arrived;
    sub.close();
    const seqs = sub.got.map((e) => e.seq);
    t.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    t.is(new Set(sub.got.map((e) => e.name)).size, 40);
  });
}

const server = testDrivers(test).find((d) => d.name === 'postgres');
if (server) {
  test('postgres: a write in another process wakes a subscriber through LISTEN/NOTIFY', async (t) => {
    const store = await server.store();
    // A safety poll far longer than the test timeout: only the notification can deliver in time.
    const other = await server.second({ pollIntervalMs: 600_000 });
    const org = uniqueName('org');
    const sub = collect(other, await other.events.latestSeq(), 1, org);
    // LISTEN starts in the background: write until one notification lands (the poll never fires in time).
    for (let i = 0; sub.got.length === 0; i++) {
      await store.resources.create(pullRequest(org, `ping-${i}`));
      await Promise.race([sub.arrived, new Promise((r) => setTimeout(r, 100))]);
    }
    sub.close();
    t.is(sub.got[0]!.name, 'ping-0', 'the first write is delivered too: each wake-up re-reads from the last seq');
  });
}
