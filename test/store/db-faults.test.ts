// A database that stops answering (SIGSTOP) or stops altogether: requests fail fast with 503 and Retry-After,
// probes answer within a second, and config reads served from memory keep working.
import test from 'ava';
import { createStore, type Store } from '../../src/store/index.ts';
import { doc, fakeConfig, fakeSecrets, fakeSync, fakeWriter } from '../support/api-fakes.ts';
import { makeToken, startApi } from '../support/api-client.ts';
import { pgServerUnavailable, startPgServer, type PgServer } from '../support/pg-server.ts';

const why = pgServerUnavailable();
const maybe = why ? test.skip : test.serial;
if (why) {
  test('database fault tests need a PostgreSQL server of their own', (t) => {
    t.log(`skipped: ${why}`);
    t.pass();
  });
}

let pg: PgServer;
let store: Store;
let api: Awaited<ReturnType<typeof startApi>>;
let token: string;

test.before(async () => {
  if (why) return;
  pg = await startPgServer();
  store = createStore({ databaseUrl: pg.url, queryTimeoutMs: 1500, poolSize: 4 });
  await store.migrate();
  const config = fakeConfig([doc('Organization', 'acme', 'acme', { displayName: 'Acme', slug: 'acme' }), doc('Team', 'acme', 'platform', { displayName: 'Platform' })]);
  api = await startApi({ store, config, sync: fakeSync(), writer: fakeWriter(config), secrets: fakeSecrets() });
  token = await makeToken(api.app, 'acme', 'writer', 'alice');
});

test.after.always(async () => {
  if (why) return;
  pg.thaw();
  await api?.close();
  await store?.close().catch(() => undefined);
  pg.remove();
});

/** A request that gives up after 20 s, so a hang fails the test instead of stalling the run. */
async function get(path: string, auth = true) {
  const res = await fetch(api.url + path, { headers: auth ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(20_000) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
}

async function checkOutage(t: import('ava').ExecutionContext) {
  t.is((await get('/healthz', false)).status, 200);
  const ready = await get('/readyz', false);
  t.is(ready.status, 503);
  t.false(ready.body.checks.store.ok);
  const config = await get('/api/orgs/acme/resources?kind=Team');
  t.is(config.status, 200, 'a config read is served from memory with a recently verified token');
  t.is(config.body.items[0].metadata.name, 'platform');
  const runtime = await get('/api/orgs/acme/audit');
  t.is(runtime.status, 503);
  t.is(runtime.body.error.code, 'STORE_UNAVAILABLE');
  t.truthy(Number(runtime.retryAfter) > 0, 'Retry-After tells the client when to come back');
  t.false(JSON.stringify(runtime.body).includes('127.0.0.1'), 'the error does not name the database address');
}

maybe('a frozen PostgreSQL (SIGSTOP) makes requests fail with 503 within the query deadline, never hang', async (t) => {
  t.is((await get('/api/orgs/acme/audit')).status, 200);
  pg.freeze();
  try {
    await checkOutage(t);
  } finally {
    pg.thaw();
  }
  let back = await get('/api/orgs/acme/audit');
  for (let i = 0; i < 50 && back.status !== 200; i++) back = await get('/api/orgs/acme/audit');
  t.is(back.status, 200, 'requests work again once the database answers');
});

maybe('a stopped PostgreSQL is a 503 with Retry-After on runtime routes, not a 500', async (t) => {
  t.is((await get('/api/orgs/acme/audit')).status, 200);
  pg.stop();
  try {
    await checkOutage(t);
  } finally {
    pg.start();
  }
  let back = await get('/api/orgs/acme/audit');
  for (let i = 0; i < 50 && back.status !== 200; i++) back = await get('/api/orgs/acme/audit');
  t.is(back.status, 200);
});
