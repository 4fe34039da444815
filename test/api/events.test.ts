import { request } from 'node:http';
import { Writable } from 'node:stream';
import test from 'ava';
import pino from 'pino';
import { testDrivers, type TestDriver } from '../support/store.ts';
import { client, makeToken, openSse, startApi } from '../support/api-client.ts';
import { fakeConfig, fakeSync } from '../support/api-fakes.ts';

// Every case runs on PGlite and, when DATABASE_URL is set, on a PostgreSQL server.
for (const d of testDrivers(test)) suite(d);

function suite(d: TestDriver) {
  const ns = (org: string) => `kradle-org-${org}`;

  async function publish(org: string, n: number, payload: unknown = {}) {
    const store = await d.store();
    const seqs: number[] = [];
    for (let i = 0; i < n; i++) seqs.push((await store.events.publish({ org, type: 'Tick', kind: 'Issue', namespace: ns(org), name: `e${i}`, payload })).seq);
    return seqs;
  }

  async function start(extra: { heartbeatMs?: number; sseBufferLimit?: number; logger?: pino.Logger } = {}) {
    const store = await d.store();
    return startApi({ store, config: fakeConfig([]), sync: fakeSync(), ...extra });
  }

  test(`${d.name}: resume with Last-Event-ID after a disconnect: no gap, no duplicate; writes through the API are events`, async (t) => {
    const api = await start();
    const token = await makeToken(api.app, 'sse-a', 'writer');
    const first = await openSse(api.url, '/api/orgs/sse-a/events', token);
    t.is(first.status, 200);
    const before = await publish('sse-a', 3);
    const got1 = await first.take(3);
    t.deepEqual(got1.map((m) => Number(m.id)), before);
    first.close();
    const during = await publish('sse-a', 4);
    await client(api.url, token).post('/api/orgs/sse-a/resources', { kind: 'Issue', metadata: { name: 'bug' }, spec: { title: 't' } });
    const second = await openSse(api.url, '/api/orgs/sse-a/events', token, got1.at(-1)!.id);
    const got2 = await second.take(5);
    t.deepEqual(got2.slice(0, 4).map((m) => Number(m.id)), during);
    t.like(got2[4]!.data, { org: 'sse-a', kind: 'Issue', name: 'bug', type: 'ADDED' });
    const after = await publish('sse-a', 2);
    t.deepEqual((await second.take(2)).map((m) => Number(m.id)), after);
    second.close();
    await api.close();
  });

  test(`${d.name}: a stream without Last-Event-ID starts where it answered: an event written right after the answer is sent`, async (t) => {
    const store = await d.store();
    // The newest event is told only once the test has written one (or after 300 ms): a stream that fixed its start
    // after answering would count that event as already seen and never send it. One that fixes it before answering
    // waits the 300 ms, answers, and then sees the event arrive.
    let wrote = () => {};
    const written = new Promise<void>((resolve) => (wrote = resolve));
    const events = Object.create(store.events, {
      latestSeq: { value: async () => (await Promise.race([written, new Promise((r) => setTimeout(r, 300))]), store.events.latestSeq()) },
    }) as typeof store.events;
    const api = await startApi({ store: Object.create(store, { events: { value: events } }), config: fakeConfig([]), sync: fakeSync() });
    t.teardown(() => api.close());
    const token = await makeToken(api.app, 'sse-r', 'reader');
    const s = await openSse(api.url, '/api/orgs/sse-r/events', token);
    t.teardown(s.close);
    t.is(s.status, 200);
    const [seq] = await publish('sse-r', 1);
    wrote();
    // A skipped event would leave take() waiting: the stream is closed after 20 s, and take() then ends empty.
    const timer = setTimeout(s.close, 20_000);
    const got = await s.take(1);
    clearTimeout(timer);
    t.deepEqual(got.map((m) => m.id), [String(seq)]);
  });

  test(`${d.name}: the agent stream path of spec §2.1 #38 serves the same org stream and resumes the same way`, async (t) => {
    const api = await start();
    const token = await makeToken(api.app, 'sse-i', 'reader');
    const seen = await publish('sse-i', 2);
    const s = await openSse(api.url, '/api/orgs/sse-i/agents/events/stream', token, String(seen[0]));
    t.is(s.status, 200);
    t.deepEqual((await s.take(1)).map((m) => Number(m.id)), [seen[1]]);
    s.close();
    const other = await makeToken(api.app, 'sse-j', 'admin');
    t.is((await client(api.url, other).get('/api/orgs/sse-i/agents/events/stream')).status, 403);
    await api.close();
  });

  test(`${d.name}: a Last-Event-ID the store never reached (a reset database) gets a reset event and every kept event, not silence`, async (t) => {
    const api = await start();
    const token = await makeToken(api.app, 'sse-k', 'reader');
    const kept = await publish('sse-k', 2);
    const s = await openSse(api.url, '/api/orgs/sse-k/events', token, kept[1]! + 1_000_000);
    t.teardown(async () => {
      s.close();
      await api.close();
    });
    t.like((await s.next())?.data, { type: 'connected' });
    const reset = await s.next();
    t.is(reset?.event, 'reset');
    t.like(reset?.data, { type: 'reset', lastEventId: kept[1]! + 1_000_000 });
    t.deepEqual((await s.take(2)).map((m) => Number(m.id)), kept);
  });

  test(`${d.name}: resume across an app restart on the same store (also with ?lastEventId)`, async (t) => {
    const api1 = await start();
    const token = await makeToken(api1.app, 'sse-b', 'reader');
    const s1 = await openSse(api1.url, '/api/orgs/sse-b/events', token);
    const seen = await publish('sse-b', 2);
    t.deepEqual((await s1.take(2)).map((m) => Number(m.id)), seen);
    s1.close();
    await api1.close();
    const missed = await publish('sse-b', 3);
    const api2 = await start();
    const s2 = await openSse(api2.url, `/api/orgs/sse-b/events?lastEventId=${seen.at(-1)}`, token);
    t.deepEqual((await s2.take(3)).map((m) => Number(m.id)), missed);
    const live = await publish('sse-b', 1);
    t.deepEqual((await s2.take(1)).map((m) => Number(m.id)), live);
    s2.close();
    await api2.close();
  });

  if (d.name === 'postgres') {
    test(`${d.name}: resume on another process's store (a new pool on the same database), events written by the first`, async (t) => {
      const api1 = await start();
      const token = await makeToken(api1.app, 'sse-g', 'reader');
      const seen = await publish('sse-g', 2);
      await api1.close();
      const other = await d.second();
      const api2 = await startApi({ store: other, config: fakeConfig([]), sync: fakeSync() });
      const s = await openSse(api2.url, '/api/orgs/sse-g/events', token, seen[0]);
      t.deepEqual((await s.take(1)).map((m) => Number(m.id)), [seen[1]]);
      const live = await publish('sse-g', 2);
      t.deepEqual((await s.take(2)).map((m) => Number(m.id)), live);
      s.close();
      await api2.close();
    });
  }

  test(`${d.name}: org filtering: an org stream and an org token on /api/events see only that org; a platform token sees all`, async (t) => {
    const api = await start();
    const acme = await makeToken(api.app, 'sse-c', 'reader');
    const platform = await makeToken(api.app, '*', 'admin');
    const orgStream = await openSse(api.url, '/api/orgs/sse-c/events', acme);
    const filtered = await openSse(api.url, '/api/events', acme);
    const all = await openSse(api.url, '/api/events', platform);
    const other = await publish('sse-d', 2);
    const mine = await publish('sse-c', 1);
    t.deepEqual((await orgStream.take(1)).map((m) => Number(m.id)), mine);
    t.deepEqual((await filtered.take(1)).map((m) => Number(m.id)), mine);
    // Other tests of this file publish concurrently: keep only this test's orgs from the platform stream.
    const seen: number[] = [];
    while (seen.length < 3) {
      const [m] = await all.take(1);
      if (['sse-c', 'sse-d'].includes(m!.data.org)) seen.push(Number(m!.id));
    }
    t.deepEqual(seen, [...other, ...mine]);
    t.is((await client(api.url, acme).get('/api/orgs/sse-d/events')).status, 403);
    t.is((await client(api.url, acme).get('/api/orgs/sse-c/events', { 'last-event-id': 'x' })).status, 400);
    for (const s of [orgStream, filtered, all]) s.close();
    await api.close();
  });

  test(`${d.name}: heartbeat comments keep an idle stream open`, async (t) => {
    const api = await start({ heartbeatMs: 20 });
    const s = await openSse(api.url, '/api/orgs/sse-e/events', await makeToken(api.app, 'sse-e', 'reader'));
    while (s.comments < 2) await new Promise((r) => setTimeout(r, 10));
    t.true(s.comments >= 2);
    s.close();
    await api.close();
  });

  test(`${d.name}: a slow client overflowing its buffer is dropped with a logged reason; a fast client gets every event`, async (t) => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } });
    const api = await start({ sseBufferLimit: 50, logger: pino({ level: 'info' }, sink) });
    const token = await makeToken(api.app, 'sse-f', 'reader');
    const fast = await openSse(api.url, '/api/orgs/sse-f/events', token);
    // The slow client never reads: once the socket buffers fill, its queue overflows.
    const slow = await new Promise<import('node:http').IncomingMessage>((resolve) => {
      const req = request(`${api.url}/api/orgs/sse-f/events`, { headers: { authorization: `Bearer ${token}` } }, resolve);
      req.end();
    });
    slow.pause();
    // Rounds of 20 events: the fast client drains each round (its queue never passes 20), the paused one
    // never drains, so its queue grows by 20 a round until it passes the limit and it is dropped.
    const payload = { big: 'x'.repeat(16 * 1024) };
    let rounds = 0;
    while (!lines.some((l) => l.includes('buffer overflow'))) {
      const seqs = await publish('sse-f', 20, payload);
      t.deepEqual((await fast.take(20)).map((m) => Number(m.id)), seqs);
      if (++rounds > 400) break;
    }
    const ended = new Promise<void>((resolve) => slow.on('end', () => resolve()));
    slow.resume();
    await ended;
    t.true(lines.some((l) => l.includes('sse client dropped: buffer overflow')));
    t.false(lines.some((l) => l.includes('Bearer') || l.includes(token)));
    fast.close();
    await api.close();
  });
}
