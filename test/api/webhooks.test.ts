import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { createWebhookDispatcher } from '../../src/api/index.ts';
import { testDrivers, type TestDriver } from '../support/store.ts';
import { client, makeToken, silentLogger, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSecrets, fakeSync } from '../support/api-fakes.ts';

// Every case runs on PGlite and, when DATABASE_URL is set, on a PostgreSQL server.
for (const d of testDrivers(test)) suite(d);

function suite(d: TestDriver) {
  const hmac = (secret: string, body: string | Buffer) => createHmac('sha256', secret).update(body).digest('hex');

  /** A local receiver answering with the given statuses in turn (the last one repeats). */
  async function receiver(statuses: number[]) {
    const got: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      got.push({ headers: req.headers, body });
      res.statusCode = statuses[Math.min(got.length - 1, statuses.length - 1)]!;
      res.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { got, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, close: () => new Promise((r) => server.close(r)) };
  }

  async function until(cond: () => boolean | Promise<boolean>) {
    while (!(await cond())) await new Promise((r) => setTimeout(r, 10));
  }

  async function setup(t: ExecutionContext, org: string, statuses: number[], secretRef: unknown = { name: 'hook-secret', key: 'token' }) {
    const store = await d.store();
    const rx = await receiver(statuses);
    const config = fakeConfig([doc('WebhookSubscription', org, 'ci', { url: rx.url, events: ['Issue.ADDED'], ...(secretRef ? { secretRef } : {}) })]);
    const secrets = fakeSecrets();
    await secrets.put(org, 'hook-secret', { token: 'whsec-123' });
    const dispatcher = createWebhookDispatcher({ store, secrets, config, fetch, logger: silentLogger, backoffMs: 5, maxAttempts: 3, cursor: `wh-${org}` });
    await dispatcher.start();
    const api = await startApi({ store, config, sync: fakeSync(), secrets });
    api.app.webhookDispatcher = dispatcher;
    // Closed even when an assertion fails part-way, so a failing case never holds the worker open.
    t.teardown(async () => {
      dispatcher.stop();
      await api.close();
      await rx.close();
    });
    const issue = (name: string) => store.resources.create({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Issue', metadata: { name, namespace: `kradle-org-${org}` }, spec: { organizationRef: org, title: name } });
    const deliveries = async () => (await store.resources.list('WebhookDelivery', { namespace: `kradle-org-${org}` })).items.sort((a, b) => Number(a.spec.attempt) - Number(b.spec.attempt));
    const again = () => createWebhookDispatcher({ store, secrets, config, fetch, logger: silentLogger, backoffMs: 5, maxAttempts: 3, cursor: `wh-${org}` });
    return { store, rx, dispatcher, api, issue, deliveries, again };
  }

  test(`${d.name}: outbound: a matching event is POSTed with a verifiable signature; failures are retried and each attempt recorded`, async (t) => {
    const { rx, dispatcher, api, issue, deliveries } = await setup(t, 'hook-a', [500, 503, 200]);
    await issue('i1');
    await until(() => rx.got.length >= 3);
    await dispatcher.idle();
    for (const req of rx.got) {
      t.is(req.headers['x-kradle-signature'], `sha256=${hmac('whsec-123', req.body)}`);
      t.is(req.headers['x-kradle-event'], 'ADDED');
    }
    const body = JSON.parse(rx.got[0]!.body);
    t.like(body, { org: 'hook-a', kind: 'Issue', name: 'i1', type: 'ADDED' });
    const recs = await deliveries();
    t.deepEqual(recs.map((r) => [r.spec.attempt, r.status.phase, r.status.responseStatus]), [[1, 'Failed', 500], [2, 'Failed', 503], [3, 'Delivered', 200]]);
    t.is(recs[0]!.spec.signature, rx.got[0]!.headers['x-kradle-signature']);
    t.false(JSON.stringify(recs).includes('whsec-123'));
  });

  test(`${d.name}: outbound: a receiver that keeps failing ends Failed after the last attempt; replay sends it again`, async (t) => {
    const { rx, dispatcher, api, issue, deliveries } = await setup(t, 'hook-b', [500, 500, 500, 204]);
    await issue('i2');
    await until(() => rx.got.length >= 3);
    await dispatcher.idle();
    const recs = await deliveries();
    t.deepEqual(recs.map((r) => r.status.phase), ['Failed', 'Failed', 'Failed']);
    const c = client(api.url, await makeToken(api.app, 'hook-b', 'writer'));
    const replay = await c.post(`/api/orgs/hook-b/webhooks/deliveries/${recs[2]!.metadata.name}/replay`);
    t.is(replay.status, 202);
    t.like(replay.body.status, { phase: 'Delivered', responseStatus: 204 });
    t.is(rx.got.length, 4);
    t.is(rx.got[3]!.body, rx.got[0]!.body);
    t.is(rx.got[3]!.headers['x-kradle-signature'], `sha256=${hmac('whsec-123', rx.got[3]!.body)}`);
    t.is((await c.post('/api/orgs/hook-b/webhooks/deliveries/none/replay')).status, 404);
  });

  test(`${d.name}: outbound: non-matching events are not sent; a subscription without a readable secret is Failed, never sent unsigned`, async (t) => {
    const { rx, dispatcher, api, store, deliveries } = await setup(t, 'hook-c', [200], { name: 'missing' });
    await store.events.publish({ org: 'hook-c', type: 'Tick', kind: 'Issue', name: 'x' });
    await store.resources.create({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Issue', metadata: { name: 'i3', namespace: 'kradle-org-hook-c' }, spec: { organizationRef: 'hook-c', title: 't' } });
    await until(async () => (await deliveries()).length >= 3);
    await dispatcher.idle();
    t.is(rx.got.length, 0);
    t.true((await deliveries()).every((r) => r.status.phase === 'Failed' && /secretRef/.test(String(r.status.error))));
  });

  test(`${d.name}: outbound: events written while no dispatcher ran are delivered on restart, each exactly once`, async (t) => {
    const { rx, dispatcher, api, store, issue, deliveries, again } = await setup(t, 'hook-d', [200]);
    await issue('i1');
    await until(() => rx.got.length >= 1);
    await dispatcher.idle();
    dispatcher.stop();
    await issue('i2');
    await issue('i3');
    t.is(rx.got.length, 1);
    const next = again();
    await next.start();
    await until(() => rx.got.length >= 3);
    await next.idle();
    t.deepEqual(rx.got.map((g) => JSON.parse(g.body).name), ['i1', 'i2', 'i3']);
    const handled = await store.events.since(0, { org: 'hook-d' });
    t.true(((await store.cursors.get('wh-hook-d')) ?? 0) >= handled.find((e) => e.name === 'i3')!.seq);
    next.stop();
    // A crash before the cursor moved: resuming from before i1 re-reads every event but sends none again.
    const events = await store.events.since(0, { org: 'hook-d' });
    const replayFrom = again();
    await replayFrom.start(events[0]!.seq - 1);
    await store.events.publish({ org: 'hook-d', type: 'Tick', kind: 'Issue', name: 'marker' });
    await until(async () => ((await store.cursors.get('wh-hook-d')) ?? 0) >= events[events.length - 1]!.seq);
    await replayFrom.idle();
    t.is(rx.got.length, 3);
    t.deepEqual((await deliveries()).map((r) => r.status.phase), ['Delivered', 'Delivered', 'Delivered']);
    replayFrom.stop();
  });

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
