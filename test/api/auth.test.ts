import { createHash } from 'node:crypto';
import test from 'ava';
import { testDrivers, type TestDriver } from '../support/store.ts';
import { client, makeToken, startApi, type Running } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSecrets, fakeSync, fakeWriter } from '../support/api-fakes.ts';
import type { Role } from '../../src/api/index.ts';

// Every case runs on PGlite and, when DATABASE_URL is set, on a PostgreSQL server.
for (const d of testDrivers(test)) suite(d);

function suite(d: TestDriver) {
  const ORGS = ['acme', 'globex'] as const;
  const ROLES: Role[] = ['admin', 'writer', 'reader'];

  let api: Running;
  const tokens = new Map<string, string>();

  test.before(async () => {
    const store = await d.store();
    const config = fakeConfig([
      ...ORGS.map((o) => doc('Organization', o, o, { displayName: o, slug: o })),
      ...ORGS.map((o) => doc('Repository', o, 'web', { visibility: 'private' })),
    ]);
    api = await startApi({ store, config, sync: fakeSync(), writer: fakeWriter(config), secrets: fakeSecrets() });
    for (const org of [...ORGS, '*']) for (const role of ROLES) tokens.set(`${org}/${role}`, await makeToken(api.app, org, role, `${org}-${role}`));
  });
  test.after.always(() => api?.close());

  let n = 0;
  interface Case {
    name: string;
    auth: 'org-read' | 'org-write' | 'platform-write';
    call(c: ReturnType<typeof client>): Promise<{ status: number; body: any; headers: Headers }>;
    ok: number;
  }
  const cases: Case[] = [
    { name: 'list resources', auth: 'org-read', ok: 200, call: (c) => c.get('/api/orgs/acme/resources?kind=Repository') },
    { name: 'get resource', auth: 'org-read', ok: 200, call: (c) => c.get('/api/orgs/acme/resources/Repository/web') },
    { name: 'list runtime', auth: 'org-read', ok: 200, call: (c) => c.get('/api/orgs/acme/runtime-resources/pullrequests') },
    { name: 'summary', auth: 'org-read', ok: 200, call: (c) => c.get('/api/orgs/acme/summary') },
    { name: 'list secrets', auth: 'org-read', ok: 200, call: (c) => c.get('/api/orgs/acme/secrets') },
    { name: 'audit', auth: 'org-read', ok: 200, call: (c) => c.get('/api/orgs/acme/audit') },
    { name: 'apply config', auth: 'org-write', ok: 201, call: (c) => c.post('/api/orgs/acme/resources', { kind: 'Repository', metadata: { name: `r${++n}` }, spec: { visibility: 'public' } }) },
    { name: 'apply runtime', auth: 'org-write', ok: 201, call: (c) => c.post('/api/orgs/acme/pullrequests', { name: `pr${++n}`, repository: 'web', title: 't' }) },
    { name: 'put secret', auth: 'org-write', ok: 201, call: (c) => c.post('/api/orgs/acme/secrets', { name: `s${++n}`, data: { k: 'v' } }) },
    { name: 'sync now', auth: 'platform-write', ok: 202, call: (c) => c.post('/api/sync') },
  ];

  function expected(kase: Case, org: string | undefined, role: Role): number {
    if (org === undefined) return 401;
    const sameOrg = org === 'acme' || org === '*';
    if (kase.auth === 'platform-write') return org === '*' && role !== 'reader' ? kase.ok : 403;
    if (!sameOrg) return 403;
    if (kase.auth === 'org-write' && role === 'reader') return 403;
    return kase.ok;
  }

  for (const kase of cases) {
    test(`${d.name}: auth matrix: ${kase.name}`, async (t) => {
      const none = await kase.call(client(api.url));
      t.is(none.status, 401);
      t.is(none.body.error.code, 'UNAUTHORIZED');
      t.is(none.headers.get('www-authenticate'), 'Bearer realm="kradle"', 'a 401 says how to authenticate (RFC 6750)');
      for (const org of [...ORGS, '*']) {
        for (const role of ROLES) {
          const res = await kase.call(client(api.url, tokens.get(`${org}/${role}`)));
          t.is(res.status, expected(kase, org, role), `${org}/${role}: ${JSON.stringify(res.body)}`);
          if (res.status === 403) t.is(res.body.error.code, 'FORBIDDEN');
        }
      }
    });
  }

  test(`${d.name}: org lists: each token sees its own org, a platform token sees all`, async (t) => {
    const names = async (tok: string) => (await client(api.url, tok).get('/api/orgs')).body.organizations.map((o: { slug: string }) => o.slug);
    t.deepEqual(await names(tokens.get('acme/reader')!), ['acme']);
    t.deepEqual(await names(tokens.get('globex/admin')!), ['globex']);
    t.deepEqual((await names(tokens.get('*/reader')!)).sort(), ['acme', 'globex']);
  });

  test(`${d.name}: tokens: stored hashed, malformed and revoked tokens are 401, list never shows a token`, async (t) => {
    const { token, info } = await api.app.tokens.create({ org: 'acme', role: 'reader', subject: 'temp' });
    const rows = await (await d.store()).query<{ token_hash: string }>('SELECT token_hash FROM api_tokens WHERE id = $1', [info.id]);
    t.is(rows[0]!.token_hash.length, 64);
    const everything = JSON.stringify(await (await d.store()).query('SELECT * FROM api_tokens'));
    t.false(everything.includes(token.slice('krd_'.length + 17)));
    t.is(rows[0]!.token_hash, createHash('sha256').update(token).digest('hex'));
    t.is((await client(api.url, token).get('/api/orgs/acme/summary')).status, 200);
    const malformed = await client(api.url, `${token}x`).get('/api/orgs/acme/summary');
    t.is(malformed.status, 401);
    t.is(malformed.headers.get('www-authenticate'), 'Bearer realm="kradle", error="invalid_token"');
    t.is((await client(api.url, token.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'))).get('/api/orgs/acme/summary')).status, 401);
    await api.app.tokens.revoke(info.id);
    t.is((await client(api.url, token).get('/api/orgs/acme/summary')).status, 401);
    const listed = JSON.stringify(await api.app.tokens.list({ org: 'acme' }));
    t.false(listed.includes(token));
    t.true(listed.includes('"revoked":true'));
  });
}
