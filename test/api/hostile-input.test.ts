// Inputs a hostile or careless client sends: each must be refused in the error envelope with a 4xx,
// never a 500, a hang, another org's data or an unconditional write.
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { writerPortFrom, type WriterPort } from '../../src/api/index.ts';
import { ValidationError } from '../../src/errors/index.ts';
import { createConfigWriter } from '../../src/writeback/index.ts';
import { createTestRepo } from '../support/git-repo.ts';
import { testDrivers, type TestDriver } from '../support/store.ts';
import { client, makeToken, openSse, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSecrets, fakeSync, fakeWriter } from '../support/api-fakes.ts';

for (const d of testDrivers(test)) suite(d);

function suite(d: TestDriver) {
  async function setup(opts: { writer?: (config: ReturnType<typeof fakeConfig>) => WriterPort; sync?: ReturnType<typeof fakeSync> } = {}) {
    const store = await d.store();
    const org = `o${Math.random().toString(36).slice(2, 8)}`;
    const config = fakeConfig([
      doc('Organization', org, org, { displayName: org, slug: org }),
      doc('Repository', org, 'web', { visibility: 'private' }),
    ]);
    const writer = opts.writer ? opts.writer(config) : fakeWriter(config);
    const api = await startApi({ store, config, sync: opts.sync ?? fakeSync(), writer, secrets: fakeSecrets() });
    const c = client(api.url, await makeToken(api.app, org, 'writer', 'alice'));
    const platform = client(api.url, await makeToken(api.app, '*', 'admin', 'root'));
    return { api, store, config, writer, org, c, platform };
  }

  function isEnvelope(t: { truthy(v: unknown): void; is(a: unknown, b: unknown): void }, body: any, code: string) {
    t.truthy(body?.error);
    t.is(body.error.code, code);
    t.truthy(Array.isArray(body.error.details));
  }

  test(`${d.name}: audit query values that are not a time or an integer are a 400, not a failed SQL cast`, async (t) => {
    const { api, org, c } = await setup();
    for (const q of ['since=garbage', 'until=2020-13-45', 'limit=abc', 'limit=1.5', 'offset=1e400', 'offset=-1']) {
      const res = await c.get(`/api/orgs/${org}/audit?${q}`);
      t.is(res.status, 400, q);
      isEnvelope(t, res.body, 'BAD_REQUEST');
    }
    t.is((await c.get(`/api/orgs/${org}/audit?since=2020-01-01T00:00:00Z&limit=5&offset=0`)).status, 200);
    await api.close();
  });

  test(`${d.name}: a config list continue token that no page handed out is a 400, not a listing from the start`, async (t) => {
    const { api, org, c } = await setup();
    const first = await c.get(`/api/orgs/${org}/resources?kind=Repository&limit=1`);
    t.is(first.status, 200);
    for (const token of ['garbage', '%2F%2F%2F', Buffer.from('Not A Name').toString('base64url')]) {
      const res = await c.get(`/api/orgs/${org}/resources?kind=Repository&continue=${token}`);
      t.is(res.status, 400, token);
      isEnvelope(t, res.body, 'BAD_REQUEST');
    }
    t.is((await c.get(`/api/orgs/${org}/resources?kind=Repository&continue=${Buffer.from('web').toString('base64url')}`)).status, 200);
    await api.close();
  });

  test(`${d.name}: metadata, spec or status that is not an object is a 422 naming the field`, async (t) => {
    const { api, org, c } = await setup();
    for (const [field, value] of [['spec', 'str'], ['spec', ['a']], ['metadata', 'x'], ['status', 5], ['spec', null]] as const) {
      const body = { kind: 'Issue', metadata: { name: 'bad' }, spec: { title: 't' }, [field]: value };
      const res = await c.post(`/api/orgs/${org}/resources`, body);
      t.is(res.status, 422, `${field}: ${JSON.stringify(value)}`);
      isEnvelope(t, res.body, 'VALIDATION_FAILED');
      t.is(res.body.error.details[0].field, field);
    }
    await api.close();
  });

  test(`${d.name}: a fractional sync runs limit is a 400`, async (t) => {
    const { api, platform } = await setup();
    const res = await platform.get('/api/sync/runs?limit=1.5');
    t.is(res.status, 400);
    isEnvelope(t, res.body, 'BAD_REQUEST');
    t.is((await platform.get('/api/sync/runs?limit=2')).status, 200);
    await api.close();
  });

  test(`${d.name}: NUL characters and unpaired surrogates in a body, a path, a query or a continue token are a 400`, async (t) => {
    const { api, org, c } = await setup();
    const issue = (title: string) => JSON.stringify({ kind: 'Issue', metadata: { name: 'i1' }, spec: { title, repository: 'web' } });
    for (const body of [issue('a\u0000b'), issue('\ud800'), '{"kind":"Issue","metadata":{"name":"i1","labels":{"a\\u0000":"x"}},"spec":{}}']) {
      const res = await c.post(`/api/orgs/${org}/resources`, body);
      t.is(res.status, 400, body);
      isEnvelope(t, res.body, 'BAD_REQUEST');
    }
    const nulToken = Buffer.from(JSON.stringify([`kradle-org-${org}`, 'a\u0000'])).toString('base64url');
    for (const path of [`/api/orgs/${org}/resources/Issue/a%00b`, `/api/orgs/${org}/audit?action=%00`, `/api/orgs/${org}/runtime-resources/issues?continue=${nulToken}`]) {
      const res = await c.get(path);
      t.is(res.status, 400, path);
      isEnvelope(t, res.body, 'BAD_REQUEST');
    }
    t.is((await c.del(`/api/orgs/${org}/resources/Issue/a%00b`)).status, 400);
    // Paired surrogates are ordinary text.
    t.is((await c.post(`/api/orgs/${org}/resources`, issue('ok \ud83c\udf89'))).status, 201);
    await api.close();
  });

  test(`${d.name}: an org in the path that cannot be a slug is a 400 even for a platform token`, async (t) => {
    const { api, platform } = await setup();
    for (const org of ['..%2f', 'a%00b', 'ACME', 'x'.repeat(300)]) {
      const res = await platform.get(`/api/orgs/${org}/resources`);
      t.is(res.status, 400, org);
      isEnvelope(t, res.body, 'BAD_REQUEST');
    }
    await api.close();
  });

  test(`${d.name}: a feed name that would rewrite the versions label selector is a 400`, async (t) => {
    const { api, org, c } = await setup();
    for (const feed of ['a,b', 'a%20in%20(x)', '!a']) {
      const res = await c.get(`/api/orgs/${org}/artifacts/feeds/${feed}/versions`);
      t.is(res.status, 400, feed);
      isEnvelope(t, res.body, 'BAD_REQUEST');
    }
    t.is((await c.get(`/api/orgs/${org}/artifacts/feeds/npm/versions`)).status, 200);
    await api.close();
  });

  test(`${d.name}: a repeated query parameter is a 400, not read as absent (a list of every kind)`, async (t) => {
    const { api, org, c } = await setup();
    const res = await c.get(`/api/orgs/${org}/resources?kind=Repository&kind=Team`);
    t.is(res.status, 400);
    isEnvelope(t, res.body, 'BAD_REQUEST');
    await api.close();
  });

  test(`${d.name}: creating an organization that exists is a 409, not a replacement of its document`, async (t) => {
    const { api, org, platform, writer } = await setup();
    const res = await platform.post('/api/orgs', { slug: org, displayName: 'Hijack' });
    t.is(res.status, 409);
    isEnvelope(t, res.body, 'CONFLICT');
    t.is((writer as ReturnType<typeof fakeWriter>).requests.length, 0);
    await api.close();
  });

  test(`${d.name}: a body that is not declared JSON (no Content-Type, text/jsonx) or is Content-Encoding gzip is a 415`, async (t) => {
    const { api, org } = await setup();
    const token = await makeToken(api.app, org, 'writer');
    const repo = JSON.stringify({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Repository', metadata: { name: 'typed' }, spec: { visibility: 'private' } });
    const send = (headers: Record<string, string>, body: Uint8Array = new TextEncoder().encode(repo)) => fetch(`${api.url}/api/orgs/${org}/resources`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers }, body: new Uint8Array(body) });
    // A byte body: fetch adds no Content-Type of its own.
    for (const headers of [{} as Record<string, string>, { 'content-type': 'text/jsonx' }, { 'content-type': 'text/plain; note=json' }, { 'content-type': 'application/jsonx' }]) {
      const res = await send(headers);
      t.is(res.status, 415, JSON.stringify(headers));
      isEnvelope(t, await res.json(), 'UNSUPPORTED_MEDIA_TYPE');
    }
    const gzipped = await send({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(repo));
    t.is(gzipped.status, 415);
    isEnvelope(t, await gzipped.json(), 'UNSUPPORTED_MEDIA_TYPE');
    t.is((await send({ 'content-type': 'application/json', 'content-encoding': 'br' })).status, 415);
    // JSON under its own name, a +json type or identity encoding is read as before.
    t.is((await send({ 'content-type': 'application/vnd.kradle+json; charset=utf-8', 'content-encoding': 'identity' })).status, 201);
    t.is((await send({ 'content-type': 'Application/JSON' })).status, 200);
    await api.close();
  });

  test(`${d.name}: a body nested thousands of levels deep is a 400, not a stack overflow`, async (t) => {
    const { api, org, c } = await setup();
    const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
    for (const kind of ['Issue', 'Repository']) {
      const body = `{"kind":"${kind}","metadata":{"name":"deep"},"spec":{"title":"t","repository":"web","visibility":"private","x":${deep(5000)}}}`;
      const res = await c.post(`/api/orgs/${org}/resources`, body);
      t.is(res.status, 400, kind);
      isEnvelope(t, res.body, 'BAD_REQUEST');
    }
    await api.close();
  });

  test(`${d.name}: a 19-digit resourceVersion past the bigint range is a 409, not a failed cast`, async (t) => {
    const { api, org, c } = await setup();
    const issue = { kind: 'Issue', metadata: { name: 'big' }, spec: { title: 't', repository: 'web' } };
    t.is((await c.post(`/api/orgs/${org}/resources`, issue)).status, 201);
    const huge = { 'if-match': '"9999999999999999999"' };
    const upd = await c.post(`/api/orgs/${org}/resources`, issue, huge);
    t.is(upd.status, 409);
    isEnvelope(t, upd.body, 'CONFLICT');
    const del = await c.del(`/api/orgs/${org}/resources/Issue/big`, huge);
    t.is(del.status, 409);
    isEnvelope(t, del.body, 'CONFLICT');
    await api.close();
  });

  test(`${d.name}: an If-Match that names no revision is a 409, never an unconditional config write`, async (t) => {
    const { api, org, c, writer } = await setup();
    const repo = { kind: 'Repository', metadata: { name: 'web' }, spec: { visibility: 'public' } };
    for (const value of ['""', 'W/""', '"+abc"']) {
      const res = await c.post(`/api/orgs/${org}/resources`, repo, { 'if-match': value });
      t.is(res.status, 409, value);
      isEnvelope(t, res.body, 'CONFLICT');
      t.is((await c.del(`/api/orgs/${org}/resources/Repository/web`, { 'if-match': value })).status, 409, value);
    }
    t.is((writer as ReturnType<typeof fakeWriter>).requests.length, 0);
    await api.close();
  });

  test(`${d.name}: HEAD on the event streams answers headers and ends instead of hanging`, async (t) => {
    const { api, org, c } = await setup();
    const token = await makeToken(api.app, org, 'reader');
    for (const path of ['/api/events', `/api/orgs/${org}/events`]) {
      const res = await fetch(`${api.url}${path}`, { method: 'HEAD', headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(20_000) });
      t.is(res.status, 200);
      t.regex(res.headers.get('content-type') ?? '', /text\/event-stream/);
    }
    t.regex((await c.get('/metrics')).body, /^kradle_sse_clients 0$/m);
    await api.close();
  });

  test(`${d.name}: a Last-Event-ID past 2^53 is a 400 before the stream opens`, async (t) => {
    const { api, org } = await setup();
    const token = await makeToken(api.app, org, 'reader');
    for (const id of ['99999999999999999999', '9007199254740993']) {
      const res = await fetch(`${api.url}/api/events`, { headers: { authorization: `Bearer ${token}`, 'last-event-id': id }, signal: AbortSignal.timeout(20_000) });
      t.is(res.status, 400, id);
      isEnvelope(t, await res.json(), 'BAD_REQUEST');
    }
    const ok = await openSse(api.url, '/api/events', token, 0);
    t.is(ok.status, 200);
    ok.close();
    await api.close();
  });

  test(`${d.name}: the controller model shows an org token only its own org's sync errors`, async (t) => {
    const sync = fakeSync();
    const { api, org, c, platform } = await setup({ sync });
    const errors = [
      { code: 'SCHEMA_VIOLATION', message: 'mine', path: `orgs/${org}/repositories/web.yaml` },
      { code: 'SCHEMA_VIOLATION', message: 'secret-ish detail of another org', path: 'orgs/other/repositories/x.yaml' },
      { code: 'SCHEMA_VIOLATION', message: 'platform file', path: 'platform/policytemplates/p.yaml' },
    ];
    sync.setStatus({ state: 'Failed', lastRun: { id: 1, revision: 'rev-2', startedAt: 'x', finishedAt: 'x', outcome: 'ValidationFailed', counts: {}, errors } });
    const own = await c.get('/api/controller');
    t.is(own.status, 200);
    t.deepEqual(own.body.sync.lastRun.errors.map((e: any) => e.message), ['mine']);
    t.is((await platform.get('/api/controller')).body.sync.lastRun.errors.length, 3);
    await api.close();
  });

  test(`${d.name}: a refused write shows an org token the errors of its own files only`, async (t) => {
    let orgName = '';
    const refusing = (): WriterPort => ({
      async write() {
        throw new ValidationError('the write would make the config repo invalid (2 errors)', { details: [
          { code: 'SCHEMA_VIOLATION', message: 'yours', path: `orgs/${orgName}/repositories/web.yaml`, line: 1, column: 1 },
          { code: 'SCHEMA_VIOLATION', message: 'globex internals', path: 'orgs/globex/repositories/secret.yaml', line: 7, column: 3 },
        ] });
      },
    });
    const { api, org, c, platform } = await setup({ writer: refusing });
    orgName = org;
    const repo = { kind: 'Repository', metadata: { name: 'web' }, spec: { visibility: 'public' } };
    const res = await c.post(`/api/orgs/${org}/resources`, repo);
    t.is(res.status, 422);
    t.deepEqual(res.body.error.details.map((e: any) => e.code), ['SCHEMA_VIOLATION', 'ERRORS_ELSEWHERE']);
    t.false(JSON.stringify(res.body).includes('globex'));
    const all = await platform.post(`/api/orgs/${org}/resources`, repo);
    t.is(all.body.error.details.length, 2);
    await api.close();
  });
}

const [pglite] = testDrivers(test);

test('an If-Match naming a blob or tree of the config repo is a 409, not a failed commit read', async (t) => {
  const repo = createTestRepo();
  repo.commit({ 'orgs/acme/repositories/web.yaml': 'apiVersion: kradle.a5c.ai/v1alpha1\nkind: Repository\nmetadata:\n  name: web\nspec:\n  organizationRef: acme\n  visibility: private\n' }, 'seed');
  const writer = writerPortFrom(createConfigWriter({ gitdir: join(repo.dir, '.git'), branch: 'main', validate: async () => ({ errors: [], warnings: [] }) }));
  const config = fakeConfig([doc('Organization', 'acme', 'acme', { displayName: 'Acme', slug: 'acme' }), doc('Repository', 'acme', 'web', { visibility: 'private' })]);
  const api = await startApi({ store: await pglite!.store(), config, sync: fakeSync(), writer });
  const c = client(api.url, await makeToken(api.app, 'acme', 'writer'));
  const tip = repo.head();
  for (const oid of [repo.git('rev-parse', 'HEAD:orgs/acme/repositories/web.yaml'), repo.git('rev-parse', 'HEAD^{tree}')]) {
    const res = await c.post('/api/orgs/acme/resources', { kind: 'Repository', metadata: { name: 'web' }, spec: { visibility: 'public' } }, { 'if-match': `"${oid}"` });
    t.is(res.status, 409);
    t.is(res.body.error.code, 'CONFLICT');
    t.is((await c.del('/api/orgs/acme/resources/Repository/web', { 'if-match': `"${oid}"` })).status, 409);
  }
  t.is(repo.head(), tip);
  await api.close();
  repo.remove();
});
