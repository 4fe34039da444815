// bench/sync: a config repo of N resources (default 10,000) synced into the test Kubernetes API server over
// real HTTP: cold full apply (objects/s), then 20 one-file commits, each triggered at once as a webhook
// would, measured from commit to applied (p50/p95). `node --import tsx bench/sync.ts [--docs N] [--commits N]`
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { buildCrds } from '../src/cluster/index.ts';
import { createStore } from '../src/store/index.ts';
import { createTestRepo } from '../test/support/git-repo.ts';
import { startKubeApiServer } from '../test/support/kube-api-server/index.ts';
import { createTestSync, crdsFor, liveDriverFor, orgDocs } from '../test/support/sync-harness.ts';

const { values } = parseArgs({ options: { docs: { type: 'string' }, commits: { type: 'string' } } });
const DOCS = Number(values.docs ?? 10_000);
const COMMITS = Number(values.commits ?? 20);
const ORGS = Math.max(1, Math.round(DOCS / 1000));

function team(org: string, i: number, displayName = `Team ${i}`): string {
  return `apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata:\n  name: team-${i}\n  labels:\n    tier: t${i % 5}\nspec:\n  organizationRef: ${org}\n  displayName: ${displayName}\n  description: generated for bench/sync\n`;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const kube = await startKubeApiServer();
const repo = createTestRepo();
const files: Record<string, string> = {};
let count = 0;
for (let o = 0; o < ORGS && count < DOCS; o++) {
  const org = `org${o}`;
  for (const [path, text] of Object.entries(orgDocs(org))) if (!path.includes('/teams/')) { files[path] = text; count++; }
  for (let i = 0; count < Math.round((DOCS * (o + 1)) / ORGS); i++, count++) files[`orgs/${org}/teams/team-${i}.yaml`] = team(org, i);
}
repo.commit(files, 'generated');
const store = createStore({ dataDir: 'memory://' });
await store.migrate();
const sync = createTestSync({
  repoDir: repo.dir,
  store,
  driver: liveDriverFor(kube),
  crds: crdsFor(['Organization', 'OrgNamespaceBinding', 'Team', 'AgentServiceAccount', 'RunnerPool'], buildCrds()),
});

console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}; ${count} documents in ${ORGS} orgs`);
let t0 = performance.now();
await sync.start();
await sync.trigger('bench');
const coldMs = performance.now() - t0;
// start() and trigger() may make two passes; the first applies everything, the second finds nothing to do.
const runs = await store.syncRuns.list({ limit: 10 });
const applied = runs.reduce((n, r) => n + Number(r.counts.applied ?? 0), 0);
console.log(`cold full apply: ${(coldMs / 1000).toFixed(1)} s, ${applied} objects applied, ${(applied / (coldMs / 1000)).toFixed(0)} objects/s (outcomes ${runs.map((r) => r.outcome).join(', ')})`);

const latencies: number[] = [];
for (let c = 0; c < COMMITS; c++) {
  const org = `org${c % ORGS}`;
  repo.commit({ [`orgs/${org}/teams/team-${c}.yaml`]: team(org, c, `Renamed ${c}`) }, `rename ${c}`);
  t0 = performance.now();
  await sync.trigger('webhook');
  latencies.push(performance.now() - t0);
  const live = kube.object({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', namespace: `kradle-org-${org}`, name: `team-${c}` });
  if ((live?.spec as { displayName?: string } | undefined)?.displayName !== `Renamed ${c}`) throw new Error(`commit ${c} was not applied`);
}
console.log(`one-file commit -> applied (${COMMITS} commits): p50 ${pct(latencies, 50).toFixed(0)} ms, p95 ${pct(latencies, 95).toFixed(0)} ms (target p50 < 1000 ms)`);
console.log(`RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
await sync.stop();
await store.close();
await kube.stop();
repo.remove();
