// A dashboard polls lists and summaries: every JSON answer to a GET carries an ETag of its bytes, and the same
// request with that ETag in If-None-Match is a 304 with no body until the answer changes.
import test from 'ava';
import { createStore } from '../../src/store/index.ts';
import { client, makeToken, startApi, type Running } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSync } from '../support/api-fakes.ts';

const store = createStore({ dataDir: 'memory://' });
const acme = doc('Organization', 'acme', 'acme', { displayName: 'Acme', slug: 'acme' });
const team = (name: string) => doc('Team', 'acme', name, { displayName: name });
const config = fakeConfig([acme, team('platform')]);
let api: Running;
let token: string;

test.before(async () => {
  await store.migrate();
  api = await startApi({ store, config, sync: fakeSync() });
  token = await makeToken(api.app, 'acme', 'reader');
});
test.after.always(async () => {
  await api?.close();
  await store.close();
});

test('a list answers 304 to its own ETag until the revision changes it; the 200 and the 304 say private, no-cache', async (t) => {
  const c = client(api.url, token);
  const path = '/api/orgs/acme/resources?kind=Team';
  const first = await c.get(path);
  t.is(first.status, 200);
  t.deepEqual(first.body.items.map((r: { metadata: { name: string } }) => r.metadata.name), ['platform']);
  t.regex(first.headers.get('content-type')!, /^application\/json/);
  const etag = first.headers.get('etag')!;
  t.regex(etag, /^W\/"[\w-]+"$/);
  t.is(first.headers.get('cache-control'), 'private, no-cache');

  const again = await c.get(path, { 'if-none-match': etag });
  t.is(again.status, 304);
  t.is(again.body, undefined, 'no body');
  t.is(again.headers.get('etag'), etag);
  t.is((await c.get(path, { 'if-none-match': `"other", ${etag}` })).status, 304, 'one of a list');
  t.is((await c.get(path, { 'if-none-match': '"other"' })).status, 200);

  config.set([acme, team('platform'), team('web')]);
  const changed = await c.get(path, { 'if-none-match': etag });
  t.is(changed.status, 200, 'a new answer is sent in full');
  t.not(changed.headers.get('etag'), etag);
  t.is(changed.body.items.length, 2);
});

test('errors and non-JSON answers carry no ETag', async (t) => {
  const c = client(api.url, token);
  const missing = await c.get('/api/orgs/acme/resources/Team/nope');
  t.is(missing.status, 404);
  t.is(missing.headers.get('etag'), null);
  const metrics = await client(api.url).get('/metrics');
  t.is(metrics.headers.get('etag'), null);
  const denied = await client(api.url).get('/api/orgs/acme/resources?kind=Team');
  t.is(denied.status, 401);
  t.is(denied.headers.get('etag'), null);
});

test('a resource keeps its own ETag (its version), not a hash of the answer', async (t) => {
  const res = await client(api.url, token).get('/api/orgs/acme/resources/Team/platform');
  t.is(res.status, 200);
  t.notRegex(res.headers.get('etag')!, /^W\//);
});
