import test from 'ava';
import { testDrivers, type TestDriver } from '../support/store.ts';
import { client, makeToken, startApi, type Running } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSync, fakeWriter } from '../support/api-fakes.ts';

// Every case runs on PGlite and, when DATABASE_URL is set, on a PostgreSQL server.
for (const d of testDrivers(test)) suite(d);

/** The cookie pair `name=value` of a Set-Cookie answer, and its attributes. */
function sessionCookie(headers: Headers): { pair: string; attrs: string[] } {
  const line = headers.getSetCookie().find((c) => c.startsWith('kradle_session='));
  if (!line) throw new Error(`no session cookie in ${JSON.stringify(headers.getSetCookie())}`);
  const [pair, ...attrs] = line.split(';').map((s) => s.trim());
  return { pair: pair!, attrs };
}

/** Reads an SSE response until it ends; resolves with every `data:` payload seen. */
async function readUntilEnd(res: Response, onData: (data: any) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const data = buf.slice(0, i).split('\n').find((l) => l.startsWith('data: '));
      buf = buf.slice(i + 2);
      if (data) onData(JSON.parse(data.slice(6)));
    }
  }
}

function suite(d: TestDriver) {
  let api: Running;
  let config: ReturnType<typeof fakeConfig>;

  test.before(async () => {
    const store = await d.store();
    config = fakeConfig([doc('Organization', 'acme', 'acme', { slug: 'acme' }), doc('Organization', 'globex', 'globex', { slug: 'globex' })]);
    api = await startApi({ store, config, sync: fakeSync(), writer: fakeWriter(config), authRecheckMs: 200 });
  });
  test.after.always(() => api?.close());

  async function signIn(token: string, headers: Record<string, string> = {}) {
    const res = await client(api.url).post('/api/session', { token }, headers);
    return { res, cookie: res.status === 201 ? sessionCookie(res.headers) : undefined };
  }

  test(`${d.name}: sign-in sets an HttpOnly SameSite=Lax expiring cookie that is not the token; only its hash is stored`, async (t) => {
    const token = await makeToken(api.app, 'acme', 'reader', 'ann');
    const { res, cookie } = await signIn(token);
    t.is(res.status, 201);
    t.like(res.body, { subject: 'ann', org: 'acme', role: 'reader', via: 'session' });
    t.regex(res.body.csrfToken, /^[\w-]{20,}$/);
    t.truthy(cookie);
    const value = cookie!.pair.slice('kradle_session='.length);
    // The secret is base64url and may itself hold '_': take all of it, not one split piece.
    const secret = token.slice('krd_'.length + 17);
    t.is(secret.length, 43);
    t.false(value.includes(secret), 'the cookie does not carry the token\'s secret');
    t.true(cookie!.attrs.includes('HttpOnly'));
    t.true(cookie!.attrs.includes('SameSite=Lax'));
    t.true(cookie!.attrs.includes('Path=/'));
    t.regex(cookie!.attrs.find((a) => a.startsWith('Max-Age='))!, /^Max-Age=\d+$/);
    t.false(cookie!.attrs.includes('Secure'), 'plain http: no Secure flag');
    const rows = await (await d.store()).query<Record<string, string>>('SELECT * FROM api_sessions WHERE id = $1', [res.body.sessionId]);
    t.is(rows.length, 1);
    t.false(JSON.stringify(rows).includes(value), 'the cookie itself is not stored');
    t.false(JSON.stringify(rows).includes(token), 'nor the token');
    t.true(Date.parse(res.body.expiresAt) > Date.now());
  });

  test(`${d.name}: behind https (X-Forwarded-Proto) the cookie is Secure`, async (t) => {
    const token = await makeToken(api.app, 'acme', 'reader');
    const { cookie } = await signIn(token, { 'x-forwarded-proto': 'https' });
    t.true(cookie!.attrs.includes('Secure'));
  });

  test(`${d.name}: bad sign-ins: unknown token 401, no token 400, a form post 415`, async (t) => {
    t.is((await signIn('krd_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).res.status, 401);
    t.is((await client(api.url).post('/api/session', {})).status, 400);
    const token = await makeToken(api.app, 'acme', 'reader');
    const form = await client(api.url).call('POST', '/api/session', `token=${token}`, { 'content-type': 'application/x-www-form-urlencoded' });
    t.is(form.status, 415);
    t.is(form.headers.getSetCookie().length, 0);
  });

  test(`${d.name}: the cookie authenticates like the token: same org and role rules`, async (t) => {
    const reader = (await signIn(await makeToken(api.app, 'acme', 'reader'))).cookie!.pair;
    const c = client(api.url);
    t.is((await c.get('/api/orgs/acme/resources?kind=Organization', { cookie: reader })).status, 200);
    t.is((await c.get('/api/orgs/globex/resources?kind=Organization', { cookie: reader })).status, 403);
    const me = await c.get('/api/session', { cookie: reader });
    t.like(me.body, { org: 'acme', role: 'reader', via: 'session' });
    const csrf = me.body.csrfToken;
    const write = await c.post('/api/orgs/acme/pullrequests', { name: 'pr-r', repository: 'web', title: 't' }, { cookie: reader, 'x-csrf-token': csrf });
    t.is(write.status, 403);
    t.is(write.body.error.code, 'FORBIDDEN');
    t.is((await c.get('/api/orgs/acme/resources?kind=Organization', { cookie: 'kradle_session=kss_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).status, 401);
  });

  test(`${d.name}: an unsafe request with the cookie needs the CSRF token; a bearer token needs none`, async (t) => {
    const token = await makeToken(api.app, 'acme', 'writer');
    const { res, cookie } = await signIn(token);
    const c = client(api.url);
    const bare = await c.post('/api/orgs/acme/pullrequests', { name: 'pr-a', repository: 'web', title: 't' }, { cookie: cookie!.pair });
    t.is(bare.status, 403);
    t.is(bare.body.error.code, 'CSRF_REQUIRED');
    const wrong = await c.post('/api/orgs/acme/pullrequests', { name: 'pr-a', repository: 'web', title: 't' }, { cookie: cookie!.pair, 'x-csrf-token': 'x'.repeat(43) });
    t.is(wrong.body.error.code, 'CSRF_REQUIRED');
    t.is((await c.get('/api/orgs/acme/runtime-resources/pullrequests', { cookie: cookie!.pair })).body.items.length, 0, 'nothing was written');
    const ok = await c.post('/api/orgs/acme/pullrequests', { name: 'pr-a', repository: 'web', title: 't' }, { cookie: cookie!.pair, 'x-csrf-token': res.body.csrfToken });
    t.is(ok.status, 201, JSON.stringify(ok.body));
    t.is((await client(api.url, token).post('/api/orgs/acme/pullrequests', { name: 'pr-b', repository: 'web', title: 't' })).status, 201);
  });

  test(`${d.name}: sign-out ends the session and clears the cookie; a revoked token ends its sessions`, async (t) => {
    const token = await makeToken(api.app, 'acme', 'reader');
    const { res, cookie } = await signIn(token);
    const c = client(api.url);
    t.is((await c.del('/api/session', { cookie: cookie!.pair })).status, 403, 'sign-out is unsafe too: CSRF token needed');
    const out = await c.del('/api/session', { cookie: cookie!.pair, 'x-csrf-token': res.body.csrfToken });
    t.is(out.status, 204);
    t.true(sessionCookie(out.headers).attrs.includes('Max-Age=0'));
    t.is((await c.get('/api/session', { cookie: cookie!.pair })).status, 401);

    const again = (await signIn(token)).cookie!.pair;
    t.is((await c.get('/api/session', { cookie: again })).status, 200);
    const id = token.split('_')[1]!;
    await api.app.tokens.revoke(id);
    t.is((await c.get('/api/session', { cookie: again })).status, 401);
  });

  test(`${d.name}: EventSource-style streams work with the cookie and close within seconds of revocation, sign-out or expiry`, async (t) => {
    const store = await d.store();
    async function open(headers: Record<string, string>) {
      const res = await fetch(`${api.url}/api/orgs/acme/events`, { headers });
      t.is(res.status, 200);
      const seen: any[] = [];
      const ended = readUntilEnd(res, (data) => seen.push(data));
      return { seen, ended };
    }

    // Revoked token: its bearer stream and its session's stream both end.
    const token = await makeToken(api.app, 'acme', 'reader');
    const { cookie } = await signIn(token);
    const viaCookie = await open({ cookie: cookie!.pair });
    const viaBearer = await open({ authorization: `Bearer ${token}` });
    const published = await store.events.publish({ org: 'acme', type: 'Tick', kind: 'Issue', name: 'one' });
    await new Promise((r) => setTimeout(r, 300));
    await api.app.tokens.revoke(token.split('_')[1]!);
    await Promise.all([viaCookie.ended, viaBearer.ended]);
    t.true(viaCookie.seen.some((e) => e.seq === published.seq), 'the cookie stream received events');

    // Signed out elsewhere: the stream of that session ends.
    const other = await signIn(await makeToken(api.app, 'acme', 'reader'));
    const s2 = await open({ cookie: other.cookie!.pair });
    await client(api.url).del('/api/session', { cookie: other.cookie!.pair, 'x-csrf-token': other.res.body.csrfToken });
    await s2.ended;

    // Expired: a session of a short-lived app ends its stream on its own.
    const short = await startApi({ store, config, sync: fakeSync(), sessionTtlMs: 1500, authRecheckMs: 200 });
    try {
      const tok = await makeToken(short.app, 'acme', 'reader');
      const made = await client(short.url).post('/api/session', { token: tok });
      const res = await fetch(`${short.url}/api/orgs/acme/events`, { headers: { cookie: sessionCookie(made.headers).pair } });
      t.is(res.status, 200);
      await readUntilEnd(res, () => undefined);
      t.is((await client(short.url).get('/api/session', { cookie: sessionCookie(made.headers).pair })).status, 401);
    } finally {
      await short.close();
    }
  });
}
