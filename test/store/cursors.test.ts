import test from 'ava';
import { testDrivers, uniqueName, type TestDriver } from '../support/store.ts';

// Event cursors (the webhook dispatcher's resume point), on PGlite and, with DATABASE_URL, on a server.
for (const d of testDrivers(test)) suite(d);

function suite(d: TestDriver) {
  test(`${d.name}: a cursor starts unset, advances, never moves backwards, and is kept per name`, async (t) => {
    const store = await d.store();
    const a = uniqueName('cur');
    const b = uniqueName('cur');
    t.is(await store.cursors.get(a), undefined);
    t.is(await store.cursors.advance(a, 10), 10);
    t.is(await store.cursors.advance(a, 4), 10);
    t.is(await store.cursors.get(a), 10);
    t.is(await store.cursors.advance(a, 11), 11);
    t.is(await store.cursors.get(b), undefined);
    await t.throwsAsync(() => store.cursors.advance(b, -1), { instanceOf: RangeError });
  });

  test(`${d.name}: the cursor table comes from migration 301`, async (t) => {
    const store = await d.store();
    const rows = await store.query<{ id: string }>("SELECT id FROM kradle_migrations WHERE id LIKE '301-%'");
    t.deepEqual(rows.map((r) => r.id), ['301-cursors']);
  });
}
