import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { createWebhookDispatcher, type WebhookDispatcher } from '../../src/webhooks/index.ts';
import type { Store, StoredResource } from '../../src/store/types.ts';
import { testDrivers, type TestDriver } from '../support/store.ts';
import { client, makeToken, silentLogger, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSecrets, fakeSync } from '../support/api-fakes.ts';

// Every case runs on PGlite and, when DATABASE_URL is set, on a PostgreSQL server.
for (const d of testDrivers(test)) suite(d);

const hmac = (secret: string, body: string | Buffer) => createHmac('sha256', secret).update(body).digest('hex');

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A local receiver answering with the given statuses in turn (the last one repeats); `hold` keeps requests unanswered. */
async function receiver(statuses: number[]) {
  const got: Received[] = [];
  let holding = false;
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    got.push({ headers: req.headers, body });
    if (holding) return;
    res.statusCode = statuses[Math.min(got.length - 1, statuses.length - 1)]!;
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    got,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hold: (on: boolean) => void (holding = on),
    ids: () => got.map((g) => String(g.headers['x-kradle-delivery'])),
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

async function until(cond: () => boolean | Promise<boolean>, what = 'a condition', ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// Serial: one dispatcher fleet per store, as in production (a dispatcher fails the open deliveries of
// subscriptions its config does not know).
function suite(d: TestDriver) {
  async function setup(t: ExecutionContext, org: string, statuses: number[], secretRef: unknown = { name: 'hook-secret', key: 'token' }) {
    const store = await d.store();
    const rx = await receiver(statuses);
    const config = fakeConfig([doc('WebhookSubscription', org, 'ci', { url: rx.url, events: ['Issue.ADDED'], ...(secretRef ? { secretRef } : {}) })]);
    const secrets = fakeSecrets();
    await secrets.put(org, 'hook-secret', { token: 'whsec-123' });
    const dispatchers: WebhookDispatcher[] = [];
    const dispatcher = (on: Store = store) => {
      const made = createWebhookDispatcher({ store: on, secrets, config, fetch, logger: silentLogger, backoffMs: 5, maxAttempts: 3, cursor: `wh-${org}`, timeoutMs: 60_000 });
      dispatchers.push(made);
      return made;
    };
    const first = dispatcher();
    await first.start();
    const api = await startApi({ store, config, sync: fakeSync(), secrets });
    api.app.webhookDispatcher = first;
    // Closed even when an assertion fails part-way, so a failing case never holds the worker open.
    t.teardown(async () => {
      await Promise.all(dispatchers.map((x) => x.stop()));
      await api.close();
      await rx.close();
    });
    const issue = (name: string) => store.resources.create({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Issue', metadata: { name, namespace: `kradle-org-${org}` }, spec: { organizationRef: org, title: name } });
    const deliveries = async () => (await store.resources.list('WebhookDelivery', { namespace: `kradle-org-${org}` })).items.sort((a, b) => Number(a.spec.eventSeq) - Number(b.spec.eventSeq));
    const settled = (n: number) => until(async () => {
      const all = await deliveries();
      return all.length >= n && all.every((r) => r.status.phase === 'Delivered' || r.status.phase === 'Failed');
    }, `${n} deliveries finished`);
    return { store, rx, first, dispatcher, api, issue, deliveries, settled };
  }

  test.serial(`${d.name}: a matching event is POSTed signed; failed attempts are retried under one delivery id, on one record`, async (t) => {
    const { rx, issue, deliveries, settled } = await setup(t, 'hook-a', [500, 503, 200]);
    await issue('i1');
    await settled(1);
    t.is(rx.got.length, 3);
    for (const req of rx.got) {
      t.is(req.headers['x-kradle-signature'], `sha256=${hmac('whsec-123', req.body)}`);
      t.is(req.headers['x-kradle-event'], 'ADDED');
      t.is(req.body, rx.got[0]!.body, 'every attempt sends the same body');
    }
    t.like(JSON.parse(rx.got[0]!.body), { org: 'hook-a', kind: 'Issue', name: 'i1', type: 'ADDED' });
    const [rec, ...more] = await deliveries();
    t.deepEqual(more, [], 'one record per (subscription, event)');
    t.deepEqual(new Set(rx.ids()), new Set([rec!.metadata.name]), 'X-Kradle-Delivery is the record name on every attempt');
    t.like(rec!.status, { phase: 'Delivered', attempt: 3, responseStatus: 200 });
    t.is(rec!.metadata.labels['kradle.a5c.ai/delivery-phase'], 'Delivered');
    t.is(rec!.status.signature, rx.got[2]!.headers['x-kradle-signature']);
    t.false(JSON.stringify(rec).includes('whsec-123'));
  });

  test.serial(`${d.name}: a receiver that keeps failing leaves the delivery Failed after the last attempt; replay sends it as a new delivery`, async (t) => {
    const { rx, api, issue, deliveries, settled } = await setup(t, 'hook-b', [500, 500, 500, 204]);
    await issue('i2');
    await settled(1);
    const [failed] = await deliveries();
    t.like(failed!.status, { phase: 'Failed', attempt: 3, responseStatus: 500 });
    const c = client(api.url, await makeToken(api.app, 'hook-b', 'writer'));
    const replay = await c.post(`/api/orgs/hook-b/webhooks/deliveries/${failed!.metadata.name}/replay`);
    t.is(replay.status, 202);
    t.like(replay.body.status, { phase: 'Delivered', responseStatus: 204, attempt: 1 });
    t.is(replay.body.spec.replayOf, failed!.metadata.name);
    t.is(rx.got.length, 4);
    t.is(rx.got[3]!.body, rx.got[0]!.body);
    t.is(rx.got[3]!.headers['x-kradle-delivery'], replay.body.metadata.name);
    t.not(replay.body.metadata.name, failed!.metadata.name);
    t.is((await c.post('/api/orgs/hook-b/webhooks/deliveries/none/replay')).status, 404);
  });

  test.serial(`${d.name}: non-matching events are not sent; a subscription without a readable secret is Failed, never sent unsigned`, async (t) => {
    const { rx, store, deliveries, settled } = await setup(t, 'hook-c', [200], { name: 'missing' });
    await store.events.publish({ org: 'hook-c', type: 'Tick', kind: 'Pipeline', name: 'x' });
    await store.resources.create({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Issue', metadata: { name: 'i3', namespace: 'kradle-org-hook-c' }, spec: { organizationRef: 'hook-c', title: 't' } });
    await settled(1);
    t.is(rx.got.length, 0);
    const recs = await deliveries();
    t.is(recs.length, 1, 'only the matching event has a delivery');
    t.like(recs[0]!.status, { phase: 'Failed', attempt: 3 });
    t.regex(String(recs[0]!.status.error), /secretRef/);
  });

  test.serial(`${d.name}: events written while no dispatcher ran are delivered on restart, each once; re-reading old events sends nothing again`, async (t) => {
    const { rx, first, dispatcher, store, issue, deliveries, settled } = await setup(t, 'hook-d', [200]);
    await issue('i1');
    await settled(1);
    await first.stop();
    await issue('i2');
    await issue('i3');
    t.is(rx.got.length, 1);
    const next = dispatcher();
    await next.start();
    await settled(3);
    t.deepEqual(rx.got.map((g) => JSON.parse(g.body).name), ['i1', 'i2', 'i3'], 'in event order');
    const handled = await store.events.since(0, { org: 'hook-d' });
    t.true(((await store.cursors.get('wh-hook-d')) ?? 0) >= handled.find((e) => e.name === 'i3')!.seq);
    await next.stop();
    // A crash before the cursor moved: resuming from before i1 re-reads every event but sends none again.
    const events = await store.events.since(0, { org: 'hook-d' });
    const replayFrom = dispatcher();
    await replayFrom.start(events[0]!.seq - 1);
    const marker = await store.events.publish({ org: 'hook-d', type: 'Tick', kind: 'Pipeline', name: 'marker' });
    await until(async () => ((await store.cursors.get('wh-hook-d')) ?? 0) >= marker.seq, 'the cursor past the marker');
    await replayFrom.idle();
    t.is(rx.got.length, 3);
    t.deepEqual((await deliveries()).map((r) => r.status.phase), ['Delivered', 'Delivered', 'Delivered']);
  });

  test.serial(`${d.name}: a leader dying mid-delivery: the next one resumes the record under the same id, and none stays Pending`, async (t) => {
    const { rx, first, dispatcher, store, issue, deliveries, settled } = await setup(t, 'hook-e', [200]);
    // The receiver takes the request and never answers: the leader is cut off while the attempt is in flight.
    rx.hold(true);
    await issue('i1');
    await issue('i2');
    await until(() => rx.got.length >= 1, 'the first attempt in flight');
    await first.stop();
    const [inFlight] = await deliveries();
    t.like(inFlight!.status, { phase: 'Pending', attempt: 1 }, 'the attempt was claimed before it was sent');
    rx.hold(false);
    // The next leader, on its own store connection where the database allows one.
    const next = dispatcher(d.name === 'postgres' ? await d.second() : store);
    await next.start();
    await settled(2);
    const recs = await deliveries();
    t.is(recs.length, 2, 'one record per event, whoever delivered it');
    t.deepEqual(recs.map((r) => r.status.phase), ['Delivered', 'Delivered']);
    const byEvent = new Map<string, Set<string>>();
    for (const g of rx.got) {
      const name = JSON.parse(g.body).name as string;
      byEvent.set(name, (byEvent.get(name) ?? new Set()).add(String(g.headers['x-kradle-delivery'])));
    }
    t.deepEqual([...byEvent.keys()].sort(), ['i1', 'i2']);
    for (const [name, ids] of byEvent) t.is(ids.size, 1, `${name} was sent under one delivery id`);
    t.deepEqual(byEvent.get('i1'), new Set([inFlight!.metadata.name]));
    t.is(recs[0]!.status.attempt, 2, 'the interrupted attempt counts; the resumed one delivered');
    t.false(recs.some((r: StoredResource) => r.metadata.labels['kradle.a5c.ai/delivery-phase'] === 'Pending'));
  });
}
