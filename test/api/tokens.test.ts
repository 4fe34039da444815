import test from 'ava';
import { testDrivers, type TestDriver } from '../support/store.ts';
import { client, makeToken, startApi, type Running } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSecrets, fakeSync, fakeWriter } from '../support/api-fakes.ts';

// Every case runs on PGlite and, when DATABASE_URL is set, on a PostgreSQL server.
for (const d of testDrivers(test)) suite(d);

function suite(d: TestDriver) {
  let api: Running;
  let platform: string;
  let acmeAdmin: string;
  let acmeWriter: string;

  test.before(async () => {
    const store = await d.store();
    const config = fakeConfig(['acme', 'globex'].map((o) => doc('Organization', o, o, { displayName: o })));
    api = await startApi({ store, config, sync: fakeSync(), writer: fakeWriter(config), secrets: fakeSecrets() });
    platform = await makeToken(api.app, '*', 'admin', 'root');
    acmeAdmin = await makeToken(api.app, 'acme', 'admin', 'acme-admin');
    acmeWriter = await makeToken(api.app, 'acme', 'writer', 'acme-writer');
  });
  test.after.always(() => api?.close());

  test(`${d.name}: a token created through POST /api/tokens authenticates at once and is listed without its secret`, async (t) => {
    const made = await client(api.url, platform).post('/api/tokens', { org: 'acme', role: 'reader', subject: 'dashboard', ttl: '30d' });
    t.is(made.status, 201, JSON.stringify(made.body));
    t.regex(made.body.token, /^krd_/);
    const days = (Date.parse(made.body.expiresAt) - Date.now()) / 86_400_000;
    t.true(days > 29.9 && days <= 30, String(days));
    t.is((await client(api.url, made.body.token).get('/api/orgs/acme/resources?kind=Organization')).status, 200);
    const listed = await client(api.url, platform).get('/api/tokens?org=acme');
    t.is(listed.status, 200);
    const entry = listed.body.items.find((i: any) => i.id === made.body.id);
    t.like(entry, { org: 'acme', role: 'reader', subject: 'dashboard', expiresAt: made.body.expiresAt, revoked: false });
    t.false(JSON.stringify(listed.body).includes(made.body.token));
  });

  test(`${d.name}: an expired token is a 401`, async (t) => {
    const made = await client(api.url, platform).post('/api/tokens', { org: 'acme', role: 'reader', expiresAt: new Date(Date.now() + 1500).toISOString() });
    t.is(made.status, 201, JSON.stringify(made.body));
    const expires = Date.parse(made.body.expiresAt);
    const early = await client(api.url, made.body.token).get('/api/orgs/acme/summary');
    // Answered before the expiry, it was checked before it: a 200. A machine too busy to answer within 1.5 s
    // (the whole suite on two cores) may see it expire already, which is no failure of the token.
    if (Date.now() < expires) t.is(early.status, 200, 'not expired yet');
    else t.true(early.status === 200 || early.status === 401, `${early.status}, answered ${Date.now() - expires} ms after the expiry`);
    await new Promise((r) => setTimeout(r, Math.max(0, expires - Date.now()) + 100));
    const late = await client(api.url, made.body.token).get('/api/orgs/acme/summary');
    t.is(late.status, 401);
    t.is(late.body.error.code, 'UNAUTHORIZED');
  });

  test(`${d.name}: an org admin manages tokens of its own org only; other roles none`, async (t) => {
    const admin = client(api.url, acmeAdmin);
    t.is((await admin.post('/api/tokens', { org: 'acme', role: 'writer' })).status, 201);
    t.is((await admin.post('/api/tokens', { org: 'globex', role: 'reader' })).status, 403);
    t.is((await admin.post('/api/tokens', { org: '*', role: 'reader' })).status, 403);
    const own = await admin.get('/api/tokens');
    t.true(own.body.items.length > 0 && own.body.items.every((i: any) => i.org === 'acme'));
    t.is((await admin.get('/api/tokens?org=globex')).status, 403);
    t.is((await client(api.url, acmeWriter).get('/api/tokens')).status, 403);
    t.is((await client(api.url, acmeWriter).post('/api/tokens', { org: 'acme', role: 'reader' })).status, 403);
    t.is((await client(api.url).get('/api/tokens')).status, 401);

    const globex = await client(api.url, platform).post('/api/tokens', { org: 'globex', role: 'reader' });
    t.is((await admin.del(`/api/tokens/${globex.body.id}`)).status, 404);
    t.is((await client(api.url, globex.body.token).get('/api/orgs/globex/summary')).status, 200);
  });

  test(`${d.name}: a token for an org the revision does not declare is a 404 and is not made; platform tokens still are`, async (t) => {
    const res = await client(api.url, platform).post('/api/tokens', { org: 'nosuch', role: 'reader', subject: 'undeclared' });
    t.is(res.status, 404, JSON.stringify(res.body));
    t.like(res.body.error, { code: 'NOT_FOUND', message: 'organization nosuch not found' });
    t.false((await client(api.url, platform).get('/api/tokens')).body.items.some((i: any) => i.subject === 'undeclared'));
    // Another org's admin gets its 403 first, and learns nothing of whether the org exists.
    t.is((await client(api.url, acmeAdmin).post('/api/tokens', { org: 'nosuch', role: 'reader' })).status, 403);
    t.is((await client(api.url, platform).post('/api/tokens', { org: '*', role: 'reader' })).status, 201);
  });

  test(`${d.name}: DELETE /api/tokens/:id revokes: the token is a 401 from then on`, async (t) => {
    const made = await client(api.url, acmeAdmin).post('/api/tokens', { org: 'acme', role: 'reader' });
    const gone = await client(api.url, acmeAdmin).del(`/api/tokens/${made.body.id}`);
    t.is(gone.status, 200);
    t.true(gone.body.revoked);
    t.is((await client(api.url, made.body.token).get('/api/orgs/acme/summary')).status, 401);
  });

  test(`${d.name}: a bad ttl, expiresAt or role is a 422 naming the field, and creates nothing`, async (t) => {
    const c = client(api.url, platform);
    for (const [body, field] of [
      [{ org: 'acme', role: 'reader', ttl: '30 days' }, 'ttl'],
      [{ org: 'acme', role: 'reader', ttl: '0d' }, 'ttl'],
      [{ org: 'acme', role: 'reader', expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ org: 'acme', role: 'owner' }, 'role'],
      [{ role: 'reader' }, 'org'],
    ] as const) {
      const res = await c.post('/api/tokens', { ...body, subject: 'bad-input' });
      t.is(res.status, 422, JSON.stringify(body));
      t.is(res.body.error.details[0].field, field);
    }
    t.is((await c.post('/api/tokens', { org: 'acme', role: 'reader', subject: 'bad-input', expiresAt: new Date(Date.now() - 1000).toISOString() })).status, 400);
    t.false((await c.get('/api/tokens')).body.items.some((i: any) => i.subject === 'bad-input'));
  });
}
