// bench/mcp: what a tool call over /mcp costs against the API call it makes (one loopback hop, a fresh
// stateless MCP server per request). Prints figures; asserts nothing. Run with the machine's load in mind.
import { cpus, loadavg } from 'node:os';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createStore } from '../src/store/index.ts';
import { client, makeToken, startApi } from '../test/support/api-client.ts';
import { doc, fakeConfig, fakeSync } from '../test/support/api-fakes.ts';

const N = 1000;
const CALLS = 300;
const ORG = 'bench';

function pct(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function time(fn: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  const ms: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    await fn(i);
    ms.push(performance.now() - t0);
  }
  return { p50: pct(ms, 50), p99: pct(ms, 99) };
}

const store = createStore({ dataDir: 'memory://', pollIntervalMs: 1000 });
await store.migrate();
const docs = [doc('Organization', ORG, ORG, { displayName: ORG, slug: ORG })];
for (let i = 0; i < N; i++) docs.push(doc('Repository', ORG, `repo-${String(i).padStart(4, '0')}`, { visibility: 'private' }));
const api = await startApi({ store, config: fakeConfig(docs), sync: fakeSync() });
const token = await makeToken(api.app, ORG, 'reader');
const c = client(api.url, token);
const mcp = new Client({ name: 'bench', version: '1' });
await mcp.connect(new StreamableHTTPClientTransport(new URL(`${api.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));

const name = (i: number) => `repo-${String((i * 37) % N).padStart(4, '0')}`;
await time((i) => c.get(`/api/orgs/${ORG}/resources/Repository/${name(i)}`)); // warm-up
const direct = await time((i) => c.get(`/api/orgs/${ORG}/resources/Repository/${name(i)}`));
const tool = await time((i) => mcp.callTool({ name: 'kradle_get_resource', arguments: { kind: 'Repository', name: name(i) } }));
const fmt = (r: { p50: number; p99: number }) => `p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`;
console.log(`machine: ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${N} config resources, ${CALLS} calls each`);
console.log(`GET one resource (HTTP API):        ${fmt(direct)}`);
console.log(`kradle_get_resource over /mcp:      ${fmt(tool)}`);
console.log(`tool call / API call, p50:          ${(tool.p50 / direct.p50).toFixed(1)}x`);
await mcp.close();
await api.close();
await store.close();
