// bench/api: list latency (p50/p99) at 10,000 resources, config and runtime; SSE fan-out to 1,000 clients.
// Prints figures; asserts nothing.
import { request, Agent } from 'node:http';
import { join } from 'node:path';
import { writerPortFrom } from '../src/api/index.ts';
import { createConfigWriter } from '../src/writeback/index.ts';
import { createTestRepo } from '../test/support/git-repo.ts';
import { createStore } from '../src/store/index.ts';
import { client, makeToken, startApi } from '../test/support/api-client.ts';
import { doc, fakeConfig, fakeSync } from '../test/support/api-fakes.ts';

const N = 10_000;
const ORG = 'bench';

function pct(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function timeCalls(n: number, fn: (i: number) => Promise<unknown>): Promise<string> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    ms.push(performance.now() - t0);
  }
  return `p50 ${pct(ms, 50).toFixed(2)} ms, p99 ${pct(ms, 99).toFixed(2)} ms (${n} calls)`;
}

const store = createStore({ dataDir: 'memory://', pollIntervalMs: 1000 });
await store.migrate();
const docs = [doc('Organization', ORG, ORG, { displayName: ORG, slug: ORG })];
for (let i = 0; i < N; i++) docs.push(doc('Repository', ORG, `repo-${String(i).padStart(5, '0')}`, { visibility: 'private' }, { shard: String(i % 10) }));
const api = await startApi({ store, config: fakeConfig(docs), sync: fakeSync(), sseBufferLimit: 10_000 });
const token = await makeToken(api.app, ORG, 'reader');
const c = client(api.url, token);

let t0 = performance.now();
await store.transaction(async (tx) => {
  for (let i = 0; i < N; i++) {
    await tx.resources.create({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'PullRequest', metadata: { name: `pr-${i}`, namespace: `kradle-org-${ORG}`, labels: { shard: String(i % 10) } }, spec: { organizationRef: ORG, repository: 'web', title: `pr ${i}` } });
  }
});
console.log(`seeded ${N} runtime records in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

console.log(`config list, limit 100, first page:      ${await timeCalls(200, () => c.get(`/api/orgs/${ORG}/resources?kind=Repository&limit=100`))}`);
console.log(`config list, limit 1000:                 ${await timeCalls(50, () => c.get(`/api/orgs/${ORG}/resources?kind=Repository&limit=1000`))}`);
console.log(`config list, label selector shard=3:     ${await timeCalls(100, () => c.get(`/api/orgs/${ORG}/resources?kind=Repository&limit=100&labelSelector=shard%3D3`))}`);
console.log(`runtime list, limit 100, first page:     ${await timeCalls(200, () => c.get(`/api/orgs/${ORG}/runtime-resources/pullrequests?limit=100`))}`);
let cont: string | undefined;
console.log(`runtime list, limit 100, walking pages:  ${await timeCalls(100, async () => {
  const r = await c.get(`/api/orgs/${ORG}/runtime-resources/pullrequests?limit=100${cont ? `&continue=${cont}` : ''}`);
  cont = r.body.continue;
})}`);
console.log(`config get one:                          ${await timeCalls(200, (i) => c.get(`/api/orgs/${ORG}/resources/Repository/repo-${String(i * 37).padStart(5, '0')}`))}`);

// SSE fan-out: CLIENTS streams of the org, EVENTS events published; count deliveries.
const CLIENTS = 1000;
const EVENTS = 100;
const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
let delivered = 0;
let done: () => void = () => undefined;
const allIn = new Promise<void>((resolve) => (done = resolve));
const connected: Promise<void>[] = [];
const reqs: ReturnType<typeof request>[] = [];
for (let i = 0; i < CLIENTS; i++) {
  connected.push(new Promise((resolve) => {
    const req = request(`${api.url}/api/orgs/${ORG}/events`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.setEncoding('utf8');
      let first = true;
      res.on('data', (chunk: string) => {
        if (first) {
          first = false;
          resolve();
        }
        const n = chunk.split('\nid: ').length - 1 + (chunk.startsWith('id: ') ? 1 : 0);
        delivered += n;
        if (delivered >= CLIENTS * EVENTS) done();
      });
    });
    req.end();
    reqs.push(req);
  }));
}
await Promise.all(connected);
console.log(`SSE: ${CLIENTS} clients connected, ${api.app.routes.length} routes served`);
t0 = performance.now();
for (let i = 0; i < EVENTS; i++) await store.events.publish({ org: ORG, type: 'Tick', kind: 'Repository', name: `r${i}`, payload: { i } });
const published = performance.now() - t0;
await allIn;
const secs = (performance.now() - t0) / 1000;
console.log(`SSE fan-out: ${EVENTS} events x ${CLIENTS} clients = ${delivered} deliveries in ${secs.toFixed(2)} s -> ${Math.round(delivered / secs)} events/s delivered (publishing took ${(published / 1000).toFixed(2)} s)`);
for (const r of reqs) r.destroy();
await api.close();

// Write-back: POST of a config resource -> commit on a local repo (validation stubbed; loader cost is bench/writeback's).
const repo = createTestRepo();
repo.commit({ 'README.md': 'config\n' }, 'seed');
const writer = writerPortFrom(createConfigWriter({ gitdir: join(repo.dir, '.git'), branch: 'main', validate: async () => ({ errors: [], warnings: [] }) }));
const wapi = await startApi({ store, config: fakeConfig([]), sync: fakeSync(), writer });
const w = client(wapi.url, await makeToken(wapi.app, ORG, 'writer'));
console.log(`write-back request -> commit:            ${await timeCalls(50, (i) => w.post(`/api/orgs/${ORG}/repositories`, { metadata: { name: `w-${i}` }, spec: { visibility: 'private' } }))}`);
await wapi.close();
repo.remove();
await store.close();
