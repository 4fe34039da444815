import test from 'ava';
import { createStore } from '../../src/store/index.ts';
import { client, makeToken, startApi, type Running } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSync } from '../support/api-fakes.ts';
import { normalizeOrigin } from '../../src/api/cors.ts';

// CORS is decided before any query, so one PGlite store is enough here.
const LISTED = 'https://dash.example.com';
let api: Running;
let closed: Running | undefined;
let token: string;
const store = createStore({ dataDir: 'memory://' });

test.before(async () => {
  await store.migrate();
  const acme = doc('Organization', 'acme', 'acme', { displayName: 'Acme', slug: 'acme' });
  api = await startApi({ store, config: fakeConfig([acme]), sync: fakeSync(), corsOrigins: [`${LISTED}/`, 'http://localhost:5173'] });
  token = await makeToken(api.app, 'acme', 'reader');
});
test.after.always(async () => {
  await api?.close();
  await closed?.close();
  await store.close();
});

const preflight = (origin: string, method = 'GET', path = '/api/orgs/acme/resources') =>
  client(api.url).call('OPTIONS', path, undefined, { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, x-csrf-token' });

test('a preflight from a listed origin is a 204 naming the methods and headers, with credentials', async (t) => {
  const res = await preflight(LISTED, 'POST');
  t.is(res.status, 204);
  t.is(res.headers.get('access-control-allow-origin'), LISTED);
  t.is(res.headers.get('access-control-allow-credentials'), 'true');
  t.deepEqual(res.headers.get('access-control-allow-methods')!.split(', ').sort(), ['GET', 'OPTIONS', 'POST']);
  const headers = res.headers.get('access-control-allow-headers')!.toLowerCase();
  for (const h of ['authorization', 'content-type', 'if-match', 'last-event-id', 'x-csrf-token']) t.true(headers.includes(h), h);
  t.regex(res.headers.get('vary') ?? '', /Origin/);
});

test('a preflight from another origin gets no CORS header, so the browser refuses the call', async (t) => {
  for (const origin of ['https://evil.example.com', 'https://dash.example.com.evil.net', 'http://dash.example.com', 'null']) {
    const res = await preflight(origin);
    t.is(res.status, 204, origin);
    t.is(res.headers.get('access-control-allow-origin'), null, origin);
    t.is(res.headers.get('access-control-allow-credentials'), null, origin);
    t.is(res.headers.get('access-control-allow-methods'), null, origin);
  }
});

test('OPTIONS is no longer a 405: a plain OPTIONS names the allowed methods; an unknown path is a 404', async (t) => {
  const res = await client(api.url).call('OPTIONS', '/api/session');
  t.is(res.status, 204);
  t.deepEqual(res.headers.get('allow')!.split(', ').sort(), ['DELETE', 'GET', 'OPTIONS', 'POST']);
  t.is((await client(api.url).call('OPTIONS', '/api/nothing-here')).status, 404);
});

test('actual requests: a listed origin may read answers and errors; another origin gets no CORS header', async (t) => {
  const ok = await client(api.url, token).get('/api/orgs/acme/resources?kind=Organization', { origin: 'http://localhost:5173' });
  t.is(ok.status, 200);
  t.is(ok.headers.get('access-control-allow-origin'), 'http://localhost:5173');
  t.regex(ok.headers.get('access-control-expose-headers')!, /X-Request-Id/);
  const denied = await client(api.url).get('/api/orgs/acme/resources', { origin: LISTED });
  t.is(denied.status, 401);
  t.is(denied.headers.get('access-control-allow-origin'), LISTED, 'the error envelope is readable by the listed page');
  const other = await client(api.url, token).get('/api/orgs/acme/resources?kind=Organization', { origin: 'https://evil.example.com' });
  t.is(other.headers.get('access-control-allow-origin'), null);
  t.is(other.headers.get('access-control-allow-credentials'), null);
});

test('no --cors-origin: no origin gets CORS headers', async (t) => {
  closed = await startApi({ store, config: fakeConfig([]), sync: fakeSync() });
  const res = await client(closed.url).call('OPTIONS', '/api/orgs/acme/resources', undefined, { origin: LISTED, 'access-control-request-method': 'GET' });
  t.is(res.status, 204);
  t.is(res.headers.get('access-control-allow-origin'), null);
});

test('origins are checked when the app is built', (t) => {
  t.is(normalizeOrigin('HTTPS://Dash.Example.com:443/'), 'https://dash.example.com');
  for (const bad of ['dash.example.com', 'https://dash.example.com/app', 'ftp://x', 'https://u:p@x.example']) {
    t.throws(() => normalizeOrigin(bad), { message: /not an origin/ }, bad);
  }
});
