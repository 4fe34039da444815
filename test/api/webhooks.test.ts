import { createHmac } from 'node:crypto';
import test from 'ava';
import { testDrivers, type TestDriver } from '../support/store.ts';
import { client, startApi } from '../support/api-client.ts';
import { fakeConfig, fakeSync } from '../support/api-fakes.ts';

// Every case runs on PGlite and, when DATABASE_URL is set, on a PostgreSQL server.
for (const d of testDrivers(test)) suite(d);

function suite(d: TestDriver) {
  const hmac = (secret: string, body: string | Buffer) => createHmac('sha256', secret).update(body).digest('hex');

  test(`${d.name}: inbound git webhook answers 202 with the delivery id before the sync pass finishes`, async (t) => {
    const store = await d.store();
    let release!: () => void;
    const sync = fakeSync();
    const started: string[] = [];
    sync.trigger = (reason) => {
      started.push(reason);
      return new Promise<void>((r) => (release = r));
    };
    const api = await startApi({ store, config: fakeConfig([]), sync, gitWebhookSecret: 's3' });
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const res = await client(api.url).post('/api/webhooks/git', body, { 'x-github-event': 'push', 'x-github-delivery': 'd-42', 'x-hub-signature-256': `sha256=${hmac('s3', body)}` });
    t.is(res.status, 202);
    t.deepEqual(res.body, { triggered: true, event: 'push', delivery: 'd-42' });
    t.deepEqual(started, ['webhook']);
    const own = await client(api.url).post('/api/webhooks/git', body, { 'x-gitea-event': 'push', 'x-gitea-signature': hmac('s3', body) });
    t.regex(own.body.delivery, /^[0-9a-f-]{36}$/);
    release();
    await api.close();
  });

  test(`${d.name}: inbound git webhooks: GitHub and Gitea signatures verified; bad or missing is 401; ping does not sync`, async (t) => {
    const store = await d.store();
    const sync = fakeSync();
    const api = await startApi({ store, config: fakeConfig([]), sync, gitWebhookSecret: 'gh-secret' });
    const c = client(api.url);
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'abc' });
    const gh = await c.post('/api/webhooks/git', body, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac('gh-secret', body)}` });
    t.is(gh.status, 202);
    t.true(gh.body.triggered);
    const gitea = await c.post('/api/webhooks/git', body, { 'x-gitea-event': 'push', 'x-gitea-signature': hmac('gh-secret', body) });
    t.is(gitea.status, 202);
    t.deepEqual(sync.triggers, ['webhook', 'webhook']);
    const bad = await c.post('/api/webhooks/git', body, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac('wrong', body)}` });
    t.is(bad.status, 401);
    t.is(bad.body.error.code, 'UNAUTHORIZED');
    t.is((await c.post('/api/webhooks/git', body, { 'x-github-event': 'push' })).status, 401);
    const tampered = await c.post('/api/webhooks/git', body.replace('abc', 'abd'), { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac('gh-secret', body)}` });
    t.is(tampered.status, 401);
    const ping = await c.post('/api/webhooks/git', body, { 'x-github-event': 'ping', 'x-hub-signature-256': `sha256=${hmac('gh-secret', body)}` });
    t.false(ping.body.triggered);
    t.is(sync.triggers.length, 2);
    await api.close();
    const unconfigured = await startApi({ store, config: fakeConfig([]), sync });
    t.is((await client(unconfigured.url).post('/api/webhooks/git', body)).status, 503);
    await unconfigured.close();
  });

  test(`${d.name}: inbound git webhooks start a sync only for a push to the synced branch, once per delivery id`, async (t) => {
    const store = await d.store();
    const sync = fakeSync();
    const api = await startApi({ store, config: fakeConfig([]), sync, gitWebhookSecret: 'k', syncedBranch: () => 'main' });
    const c = client(api.url);
    const push = (payload: unknown, delivery?: string) => {
      const body = JSON.stringify(payload);
      return c.post('/api/webhooks/git', body, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac('k', body)}`, ...(delivery ? { 'x-github-delivery': delivery } : {}) });
    };
    const ignored = [
      [await push({ ref: 'refs/heads/feature' }, 'a1'), /branch feature is not the synced branch main/],
      [await push({ ref: 'refs/tags/v1.0' }, 'a2'), /refs\/tags\/v1.0 is not a branch/],
      [await push({ ref: 'refs/heads/main', deleted: true }, 'a3'), /deletes branch main/],
    ] as const;
    for (const [res, reason] of ignored) {
      t.is(res.status, 202);
      t.false(res.body.triggered);
      t.regex(res.body.reason, reason);
    }
    t.deepEqual(sync.triggers, []);
    const first = await push({ ref: 'refs/heads/main' }, 'same-id');
    t.true(first.body.triggered);
    const again = await push({ ref: 'refs/heads/main' }, 'same-id');
    t.is(again.status, 202);
    t.false(again.body.triggered);
    t.regex(again.body.reason, /delivery same-id was received before/);
    t.deepEqual(sync.triggers, ['webhook']);
    t.is((await push('not an object with a ref', 'b1')).status, 400);
    await api.close();
  });
}
