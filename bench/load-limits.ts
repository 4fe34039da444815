// The largest documents the loader allows, and ones past its limits, loaded while an HTTP /healthz is polled:
// how long each load takes and how long /healthz waits meanwhile. `npm run bench -- load-limits`.
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createLoader, LIMITS, type LoadResult } from '../src/loader/index.ts';
import { createGitSource } from '../src/source/index.ts';
import { createTestRepo, tempDir } from '../test/support/git-repo.ts';

console.log(`machine: load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const ORG = 'apiVersion: kradle.a5c.ai/v1alpha1\nkind: Organization\nmetadata:\n  name: acme\nspec:\n  displayName: Acme\n  namespaceName: kradle-org-acme\n';
const team = (body: string) => `apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata:\n  name: big\nspec:\n  organizationRef: acme\n  displayName: Big\n${body}`;

/** Mappings of `perMap` keys under spec until the document holds about `chars` characters. */
function wide(chars: number, perMap: number): string {
  let body = '';
  for (let m = 0; body.length < chars - 200; m++) {
    body += `  m${m}:\n`;
    for (let k = 0; k < perMap && body.length < chars - 200; k++) body += `    k${k}: ${k}\n`;
  }
  return team(body);
}

const cases: [string, string][] = [
  ['largest allowed: 1 MiB, mappings of 10,000 keys', wide(LIMITS.documentChars - 64, LIMITS.keysPerMapping)],
  ['40,000 keys in one mapping (refused: keys per mapping)', team(Array.from({ length: 40_000 - 2 }, (_, i) => `  key${i}: value ${i}\n`).join(''))],
  ['200,000 keys in one mapping (refused: document size)', team(Array.from({ length: 200_000 - 2 }, (_, i) => `  k${i}: ${i}\n`).join(''))],
];

const server = createServer((_, res) => res.end('ok'));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;
const healthz = () => new Promise<number>((resolve, reject) => {
  const t0 = performance.now();
  get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => res.resume().on('end', () => resolve(performance.now() - t0))).on('error', reject);
});

/** Polls /healthz one request after another until `done` settles; returns every latency. */
async function pollWhile(done: Promise<unknown>): Promise<number[]> {
  let over = false;
  void done.finally(() => (over = true));
  const times: number[] = [];
  while (!over) times.push(await healthz());
  return times;
}

for (const [what, text] of cases) {
  const dir = tempDir('kradle-bench-limits-');
  const repo = createTestRepo(dir);
  const head = repo.commit({ 'orgs/acme/organization.yaml': ORG, 'orgs/acme/teams/big.yaml': text });
  const loader = createLoader();
  const snap = await createGitSource({ url: dir }).snapshot(head);
  const t0 = performance.now();
  const load = loader.load(snap);
  const times = await pollWhile(load);
  const r: LoadResult = await load;
  const ms = performance.now() - t0;
  times.sort((a, b) => a - b);
  const outcome = r.ok ? 'valid' : r.errors.map((e) => `${e.code} ${e.message.slice(0, 70)}`).join('; ');
  console.log(`${what} (${(text.length / 1e6).toFixed(2)} MB): load + validate ${ms.toFixed(0)} ms -> ${outcome}`);
  console.log(`  /healthz meanwhile: ${times.length} requests, median ${times[times.length >> 1]?.toFixed(1)} ms, max ${times.at(-1)?.toFixed(1)} ms`);
  repo.remove();
}
server.close();
