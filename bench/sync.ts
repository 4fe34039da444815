// bench/sync: a config repo of N resources synced into the test Kubernetes API server, which runs in a process
// of its own (bench/sync-server/) so the controller is measured alone, over real HTTP: cold full apply
// (objects/s), then one-file commits, each triggered at once as a webhook would, measured from commit to
// applied (p50/p95), and the controller's RSS. Several sizes run one after the other, each in a fresh process,
// and the larger ones are compared with the first.
// `node --import tsx bench/sync.ts [--docs 10000,40000] [--commits 20] [--profile-commits DIR]`; with DATABASE_URL the
// store is that server. --profile-commits writes a CPU profile of the one-file commits alone (not the cold apply)
// to DIR/commits-<docs>.cpuprofile, to open in Chrome DevTools or summarize with bench/sync-server/top-frames.ts.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildCrds, createLiveDriver } from '../src/cluster/index.ts';
import { createStore } from '../src/store/index.ts';
import { generatedRepo, teamDoc } from './support/generated-repo.ts';
import { createTestRepo } from '../test/support/git-repo.ts';
import { createTestSync, crdsFor } from '../test/support/sync-harness.ts';
import { startRemoteKubeApiServer } from './sync-server/client.ts';

const { values } = parseArgs({ options: { docs: { type: 'string' }, commits: { type: 'string' }, one: { type: 'string' }, 'profile-commits': { type: 'string' } } });
const PROFILE_DIR = values['profile-commits'];
const COMMITS = Number(values.commits ?? 20);

interface Result { docs: number; coldS: number; objectsPerS: number; applied: number; p50: number; p95: number; rssMb: number; heapMb: number; serverRssMb: number }

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const mb = (bytes: number) => Math.round(bytes / 1e6);

async function one(docs: number): Promise<Result> {
  const kube = await startRemoteKubeApiServer();
  const repo = createTestRepo();
  // A failed run must not leave the API server's process behind: it holds this process's stdout open, and the
  // parent would wait on it forever.
  try {
    return await measure(docs, kube, repo);
  } finally {
    await kube.stop();
    repo.remove();
  }
}

async function measure(docs: number, kube: Awaited<ReturnType<typeof startRemoteKubeApiServer>>, repo: ReturnType<typeof createTestRepo>): Promise<Result> {
  const { files, count, orgs } = generatedRepo(docs);
  repo.commit(files, 'generated');
  // DATABASE_URL: the store on a PostgreSQL server (in a fresh schema), so the controller's RSS holds no PGlite.
  const schema = `bench_sync_${process.pid}`;
  const store = process.env.DATABASE_URL ? createStore({ databaseUrl: process.env.DATABASE_URL, schema }) : createStore({ dataDir: 'memory://' });
  await store.migrate();
  const sync = createTestSync({
    repoDir: repo.dir,
    store,
    driver: createLiveDriver({ kubeConfig: kube.kubeConfig }),
    crds: crdsFor(['Organization', 'OrgNamespaceBinding', 'Team', 'AgentServiceAccount', 'RunnerPool'], buildCrds()),
  });

  let t0 = performance.now();
  await sync.start();
  await sync.trigger('bench');
  const coldMs = performance.now() - t0;
  // start() and trigger() may make two passes; the first applies everything, the second finds nothing to do.
  const runs = await store.syncRuns.list({ limit: 10 });
  const applied = runs.reduce((n, r) => n + Number(r.counts.applied ?? 0), 0);
  for (const r of runs) if (r.errors.length) console.log(`run ${r.id} ${r.outcome}: ${r.errors.length} errors, first: ${r.errors[0]!.code} ${r.errors[0]!.message}`);
  console.log(`${count} documents in ${orgs} orgs: cold full apply ${(coldMs / 1000).toFixed(1)} s, ${applied} objects applied, ${(applied / (coldMs / 1000)).toFixed(0)} objects/s (outcomes ${runs.map((r) => r.outcome).join(', ')})`);

  // The cold pass leaves watch events in flight (one per object applied and per status written, parsed by
  // client-node), for minutes at 40,000: the commits are measured once the controller has gone quiet, so that
  // they measure a commit, not the tail of the cold apply.
  const settling = performance.now();
  for (let quiet = 0; quiet < 3 && performance.now() - settling < 300_000;) {
    const cpu = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const used = process.cpuUsage(cpu);
    quiet = used.user + used.system < 50_000 ? quiet + 1 : 0;
  }
  console.log(`${count} documents: the controller went quiet ${((performance.now() - settling) / 1000).toFixed(1)} s after the cold apply`);

  const latencies: number[] = [];
  const profiler = PROFILE_DIR ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  for (let c = 0; c < COMMITS; c++) {
    const org = `org${c % orgs}`;
    repo.commit({ [`orgs/${org}/teams/team-${c}.yaml`]: teamDoc(org, c, `Renamed ${c}`) }, `rename ${c}`);
    t0 = performance.now();
    await sync.trigger('webhook');
    latencies.push(performance.now() - t0);
    const live = await kube.object({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', namespace: `kradle-org-${org}`, name: `team-${c}` });
    if ((live?.spec as { displayName?: string } | undefined)?.displayName !== `Renamed ${c}`) {
      const [last] = await store.syncRuns.list({ limit: 1 });
      throw new Error(`commit ${c} was not applied; last run ${last?.outcome}: ${JSON.stringify(last?.errors.slice(0, 3))}`);
    }
  }
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(join(PROFILE_DIR!, `commits-${count}.cpuprofile`), JSON.stringify(profile));
    profiler.disconnect();
  }
  global.gc?.();
  const result: Result = {
    docs: count, coldS: coldMs / 1000, objectsPerS: applied / (coldMs / 1000), applied, p50: pct(latencies, 50), p95: pct(latencies, 95),
    rssMb: mb(process.memoryUsage().rss), heapMb: mb(process.memoryUsage().heapUsed), serverRssMb: mb(await kube.rss()),
  };
  console.log(`${count} documents: one-file commit -> applied (${COMMITS} commits): p50 ${result.p50.toFixed(0)} ms, p95 ${result.p95.toFixed(0)} ms; controller RSS ${result.rssMb} MB (V8 heap used ${result.heapMb} of ${mb(process.memoryUsage().heapTotal)} MB, external ${mb(process.memoryUsage().external)} MB of which arrayBuffers ${mb(process.memoryUsage().arrayBuffers)} MB, ${(process.report.getReport() as { workers: unknown[] }).workers.length} worker threads alive, tsx's module hooks one of them; the rest is malloc arenas and the node binary; ${process.env.DATABASE_URL ? 'store on a PostgreSQL server' : 'PGlite in-process'}), test API server RSS ${result.serverRssMb} MB`);
  await sync.stop();
  if (process.env.DATABASE_URL) await store.query(`DROP SCHEMA ${schema} CASCADE`);
  await store.close();
  return result;
}

if (values.one) {
  console.log(`RESULT ${JSON.stringify(await one(Number(values.one)))}`);
} else {
  const sizes = (values.docs ?? '10000').split(',').map(Number);
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const results: Result[] = [];
  for (const docs of sizes) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', fileURLToPath(import.meta.url), '--one', String(docs), '--commits', String(COMMITS), ...(PROFILE_DIR ? ['--profile-commits', PROFILE_DIR] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
    const lines = r.stdout.split('\n');
    for (const line of lines) if (line && !line.startsWith('RESULT ')) console.log(line);
    const json = lines.find((l) => l.startsWith('RESULT '));
    if (r.status !== 0 || !json) throw new Error(`bench/sync at ${docs} documents failed (exit ${r.status})`);
    results.push(JSON.parse(json.slice(7)) as Result);
  }
  const [base, ...larger] = results;
  for (const r of larger) {
    console.log(`${r.docs} vs ${base!.docs} documents: one-file commit p50 x${(r.p50 / base!.p50).toFixed(2)} (target <= 1.5), cold apply objects/s x${(r.objectsPerS / base!.objectsPerS).toFixed(2)} (target >= 1)`);
  }
  console.log(`targets at 10,000: one-file commit p50 < 150 ms, cold apply >= 500 objects/s, controller RSS < 400 MB; load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}
