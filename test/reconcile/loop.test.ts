// A loop on the engine: the keys listed at start, the events that wake it, and nothing lost between the two.
import test from 'ava';
import { createLoop, orgKey, parseOrgKey, watchStoreEvents } from '../../src/reconcile/index.ts';
import { testDrivers, uniqueName } from '../support/store.ts';

const [pglite] = testDrivers(test);

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a record written while the keys are listed reaches the loop through its event; a stopped loop takes no keys', async (t) => {
  const store = await pglite!.store();
  const org = uniqueName('loop');
  // The stream is not empty: the loop must resume from where its listing began, not from the beginning.
  await store.events.publish({ org, type: 'ADDED', kind: 'Other', name: 'earlier' });
  const seen: string[] = [];
  let listings = 0;
  const loop = createLoop<string>({
    name: 'test',
    async handler(key) {
      seen.push(key);
      return 'success';
    },
    async enqueueAll(add) {
      listings++;
      add(orgKey(org, 'listed'));
      // Written after the listing read the store and before the subscription opens: the race a loop must survive.
      await store.events.publish({ org, type: 'ADDED', kind: 'Thing', name: 'between' });
    },
    ...watchStoreEvents<string>(store.events, (e, add) => {
      if (e.org === org && e.kind === 'Thing') add(orgKey(e.org, e.name));
    }),
  });
  t.teardown(() => loop.stop());
  await loop.start();
  await until(() => seen.includes(orgKey(org, 'between')), 'the event written during the listing');
  t.true(seen.includes(orgKey(org, 'listed')));
  t.is(listings, 1);
  t.deepEqual(parseOrgKey(`ws/${orgKey(org, 'w1')}`), { org, name: 'w1' });

  await loop.stop();
  t.false(loop.running);
  t.false(loop.add(orgKey(org, 'late')), 'a stopped loop refuses keys');
  await store.events.publish({ org, type: 'ADDED', kind: 'Thing', name: 'after-stop' });
  // A restart lists again and resumes from a fresh cursor: the event written while stopped is found by the
  // listing's level-triggered pass, not replayed, and the loop runs again.
  seen.length = 0;
  await loop.start();
  await store.events.publish({ org, type: 'MODIFIED', kind: 'Thing', name: 'after-restart' });
  await until(() => seen.includes(orgKey(org, 'after-restart')), 'an event after the restart');
  t.is(listings, 2);
  t.false(seen.includes(orgKey(org, 'after-stop')), 'the watch starts at the cursor read before the listing, not at the beginning');
});
