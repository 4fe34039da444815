import { Writable } from 'node:stream';
import test from 'ava';
import pino from 'pino';
import { testDrivers, type TestDriver } from '../support/store.ts';
import { client, makeToken, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSecrets, fakeSync, fakeWriter } from '../support/api-fakes.ts';

// Every case runs on PGlite and, when DATABASE_URL is set, on a PostgreSQL server.
for (const d of testDrivers(test)) suite(d);

function suite(d: TestDriver) {
  async function setup() {
    const store = await d.store();
    const config = fakeConfig([doc('Organization', 'acme', 'acme', { displayName: 'Acme', slug: 'acme' })]);
    const sync = fakeSync();
    const logs: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write(chunk, _e, cb) { logs.push(String(chunk)); cb(); } }));
    const api = await startApi({ store, config, sync, writer: fakeWriter(config), secrets: fakeSecrets(), logger });
    return { api, store, config, sync, logs };
  }

  test(`${d.name}: healthz answers; readyz reports each part and turns 503 when the cluster is down`, async (t) => {
    const { api, sync } = await setup();
    const c = client(api.url);
    t.deepEqual((await c.get('/healthz')).body, { ok: true });
    const ready = await c.get('/readyz');
    t.is(ready.status, 200);
    t.deepEqual(Object.keys(ready.body.checks).sort(), ['cluster', 'source', 'store', 'sync']);
    sync.setStatus({ clusterReachable: false });
    const down = await c.get('/readyz');
    t.is(down.status, 503);
    t.false(down.body.checks.cluster.ok);
    t.true(down.body.checks.store.ok);
    await api.close();
  });

  test(`${d.name}: unknown routes are 404 and wrong methods 405, both in the envelope; request ids go in and out`, async (t) => {
    const { api } = await setup();
    const c = client(api.url);
    const nf = await c.get('/nope', { 'x-request-id': 'abc-123' });
    t.is(nf.status, 404);
    t.is(nf.body.error.code, 'NOT_FOUND');
    t.deepEqual(nf.body.error.details, []);
    t.is(nf.headers.get('x-request-id'), 'abc-123');
    const na = await c.call('PUT', '/healthz');
    t.is(na.status, 405);
    t.is(na.body.error.code, 'METHOD_NOT_ALLOWED');
    t.regex(na.headers.get('allow') ?? '', /GET/);
    t.regex((await c.get('/healthz')).headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    await api.close();
  });

  test(`${d.name}: bodies: over 1 MB is 413, not JSON is 400, errors of unknown origin are a generic 500`, async (t) => {
    const { api, config, logs } = await setup();
    const token = await makeToken(api.app, 'acme', 'admin');
    const c = client(api.url, token);
    const big = await c.post('/api/orgs/acme/resources', JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) }));
    t.is(big.status, 413);
    t.is(big.body.error.code, 'PAYLOAD_TOO_LARGE');
    const bad = await c.post('/api/orgs/acme/resources', '{not json');
    t.is(bad.status, 400);
    t.is(bad.body.error.code, 'BAD_REQUEST');
    config.current = () => {
      throw new Error('db password=hunter2 exploded');
    };
    const boom = await c.get('/api/orgs/acme/resources?kind=Repository');
    t.is(boom.status, 500);
    t.is(boom.body.error.code, 'INTERNAL');
    t.notRegex(JSON.stringify(boom.body), /hunter2|exploded/);
    const failed = logs.find((l) => l.includes('request failed'))!;
    t.regex(failed, /exploded/);
    t.regex(failed, /"stack"/);
    t.notRegex(logs.join(''), new RegExp(`hunter2|${token}`));
    t.false(logs.some((l) => l.includes('request refused') && l.includes('"stack"')));
    await api.close();
  });

  test(`${d.name}: openapi.json lists every route with method, path, auth and summary`, async (t) => {
    const { api } = await setup();
    const spec = (await client(api.url).get('/openapi.json')).body;
    t.is(spec.openapi, '3.1.0');
    for (const r of api.app.routes) {
      const op = spec.paths[r.path.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()];
      t.truthy(op, `${r.method} ${r.path}`);
      t.is(op['x-kradle-auth'], r.auth);
      t.truthy(op.summary);
    }
    t.truthy(spec.paths['/api/orgs/{org}/events'].get);
    await api.close();
  });

  test(`${d.name}: metrics: request histogram by route template and status, SSE and write-back series present`, async (t) => {
    const { api } = await setup();
    const c = client(api.url);
    await c.get('/healthz');
    await c.get('/api/orgs/acme/resources');
    const text = (await c.get('/metrics')).body as string;
    t.regex(text, /kradle_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} 1/);
    t.regex(text, /route="\/api\/orgs\/:org\/resources",status="401"/);
    t.regex(text, /kradle_sse_clients 0/);
    t.regex(text, /kradle_writeback_commits_total 0/);
    await api.close();
  });

  test(`${d.name}: sync routes: status, sync now (platform writer), runs, previews`, async (t) => {
    const { api, sync, store } = await setup();
    const platform = client(api.url, await makeToken(api.app, '*', 'admin'));
    const reader = client(api.url, await makeToken(api.app, 'acme', 'reader'));
    t.is((await reader.get('/api/sync')).body.state, 'Idle');
    t.is((await reader.post('/api/sync')).status, 403);
    t.is((await platform.post('/api/sync')).status, 202);
    t.deepEqual(sync.triggers, ['api']);
    const run = await store.syncRuns.start('abc');
    await store.syncRuns.finish(run.id, { outcome: 'Succeeded', counts: {}, errors: [] });
    const runs = await platform.get('/api/sync/runs');
    t.is(runs.status, 200);
    t.true(runs.body.items.some((r: { revision: string }) => r.revision === 'abc'));
    t.is((await reader.get('/api/sync/runs')).status, 403);
    const prev = await platform.post('/api/previews', { base: 'main', head: 'feature' });
    t.is(prev.status, 200);
    t.is(prev.body.head, 'feature');
    const missing = await platform.post('/api/previews', { base: 'main' });
    t.is(missing.status, 422);
    t.is(missing.body.error.details[0].field, 'head');
    await api.close();
  });
}
