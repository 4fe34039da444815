// bench/sync: a config repo of N resources synced into the test Kubernetes API server, over real HTTP: cold full
// apply (objects/s), then one-file commits, each triggered at once as a webhook would, measured from commit to
// applied (p50/p95), and the controller's RSS with what it is made of. The controller and the test API server run
// in processes of their own (bench/sync-server/), so the controller is measured alone; the controller runs the
// compiled dist/ when it is fresh (npm run build), as `kradle` does, else the sources through tsx (then its RSS
// also holds tsx's module-hooks thread and source maps, which users do not run). Several sizes run one after the
// other, each with fresh processes, and the larger ones are compared with the first.
// `node --import tsx bench/sync.ts [--docs 10000,40000] [--commits 20] [--profile-commits DIR] [--heap-snapshot DIR]
// [--node-options='--max-semi-space-size=4'] [--rounds N]`; with DATABASE_URL the store is that server. --profile-commits writes
// a CPU profile of the one-file commits alone (not the cold apply) to DIR/commits-<docs>.cpuprofile, to open in
// Chrome DevTools or summarize with bench/sync-server/top-frames.ts; --profile-cold DIR does the same for the cold
// apply (DIR/cold-<docs>.cpuprofile); --heap-snapshot writes the controller's heap,
// after the commits, to DIR/sync-<docs>.heapsnapshot. --node-options are extra node flags for the controller.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { generatedRepo, teamDoc } from './support/generated-repo.ts';
import { createTestRepo } from '../test/support/git-repo.ts';
import { startRemoteController, type ControllerMemory, type RemoteController } from './sync-server/controller-client.ts';
import { startRemoteKubeApiServer, type RemoteKubeApiServer } from './sync-server/client.ts';
import { median } from './support/median.ts';

const { values } = parseArgs({
  options: { docs: { type: 'string' }, commits: { type: 'string' }, 'profile-commits': { type: 'string' }, 'profile-cold': { type: 'string' }, 'heap-snapshot': { type: 'string' }, 'node-options': { type: 'string' }, rounds: { type: 'string' } },
});
const PROFILE_DIR = values['profile-commits'];
const COLD_PROFILE_DIR = values['profile-cold'];
const SNAPSHOT_DIR = values['heap-snapshot'];
const NODE_OPTIONS = values['node-options']?.split(/\s+/).filter(Boolean) ?? [];
const COMMITS = Number(values.commits ?? 20);
const ROUNDS = Math.max(1, Number(values.rounds ?? 1));
/** How long the controller sits idle, as between commits, before its RSS is read again. */
const IDLE_MS = 30_000;

interface Result { docs: number; coldS: number; objectsPerS: number; applied: number; p50: number; p95: number; rssMb: number; heapMb: number; serverRssMb: number }

/**
 * CPU (ms) used so far by this machine's PostgreSQL server processes, from /proc (backends that exited are not
 * counted); undefined when none is visible. With DATABASE_URL on this machine, it tells the store's share of a pass.
 */
function databaseCpuMs(): number | undefined {
  let ticks = 0;
  let seen = false;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      seen = true;
    } catch {
      // The process ended while listed.
    }
  }
  return seen ? ticks * 10 : undefined;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const mb = (bytes: number) => Math.round(bytes / 1e6);

async function one(docs: number): Promise<Result> {
  const kube = await startRemoteKubeApiServer();
  const repo = createTestRepo();
  // A failed run must not leave the other processes behind: they hold this process's stdout open.
  try {
    const controller = await startRemoteController(NODE_OPTIONS);
    try {
      return await measure(docs, kube, controller, repo);
    } finally {
      await controller.stop(process.env.DATABASE_URL ? schema() : undefined).catch(() => undefined);
    }
  } finally {
    await kube.stop();
    repo.remove();
  }
}

// DATABASE_URL: the store on a PostgreSQL server (in a fresh schema), so the controller's RSS holds no PGlite.
const schema = () => `bench_sync_${process.pid}`;

function describe(m: ControllerMemory): string {
  const s = (name: string) => m.spaces[name] ?? { committed: 0, used: 0 };
  const young = s('new_space').committed + s('new_large_object_space').committed;
  return `V8 heap ${mb(m.v8Committed)} MB in pages (${mb(m.heapUsed)} MB used; old space ${mb(s('old_space').committed)}, young generation ${mb(young)}, code ${mb(s('code_space').committed)}, large objects ${mb(s('large_object_space').committed)}), ` +
    `other anonymous memory ${mb(m.otherAnon)} MB (V8 pages its spaces no longer count, glibc malloc arenas, of which the main one ${mb(m.mainArena)} MB, thread stacks; external ${mb(m.external)} MB of it), mapped files ${mb(m.files)} MB (node binary, libraries), ${m.workers} worker threads alive`;
}

async function measure(docs: number, kube: RemoteKubeApiServer, controller: RemoteController, repo: ReturnType<typeof createTestRepo>): Promise<Result> {
  const { files, count, orgs } = generatedRepo(docs);
  repo.commit(files, 'generated');
  const cpuBefore = await controller.cpuMicros();
  const kubeCpuBefore = await kube.cpuMicros();
  const dbCpuBefore = databaseCpuMs();
  await controller.heapPeak();
  if (COLD_PROFILE_DIR) await controller.profileStart();
  // start() and trigger() may make two passes; the first applies everything, the second finds nothing to do.
  const coldMs = (await controller.start({ repoDir: repo.dir, kubeConfigPath: kube.kubeConfigPath, databaseUrl: process.env.DATABASE_URL, schema: schema() })) +
    (await controller.trigger('bench'));
  const coldCpuMs = ((await controller.cpuMicros()) - cpuBefore) / 1000;
  const kubeCpuMs = ((await kube.cpuMicros()) - kubeCpuBefore) / 1000;
  const dbCpuMs = dbCpuBefore === undefined ? undefined : databaseCpuMs()! - dbCpuBefore;
  const coldHeap = await controller.heapPeak();
  if (COLD_PROFILE_DIR) writeFileSync(join(COLD_PROFILE_DIR, `cold-${count}.cpuprofile`), await controller.profileStop());
  const runs = await controller.runs(10);
  const applied = runs.reduce((n, r) => n + Number(r.counts.applied ?? 0), 0);
  for (const r of runs) if (r.errors.length) console.log(`run ${r.id} ${r.outcome}: ${r.errors.length} errors, first: ${r.errors[0]!.code} ${r.errors[0]!.message}`);
  console.log(`${count} documents in ${orgs} orgs: cold full apply ${(coldMs / 1000).toFixed(1)} s, ${applied} objects applied, ${(applied / (coldMs / 1000)).toFixed(0)} objects/s (outcomes ${runs.map((r) => r.outcome).join(', ')}); ` +
    `the controller's process used ${(coldCpuMs / 1000).toFixed(1)} s of CPU, ${((coldCpuMs * 1000) / Math.max(1, applied)).toFixed(0)} µs per object; ` +
    `its V8 heap peaked at ${mb(coldHeap.used)} MB used, ${mb(coldHeap.committed)} MB in pages; ` +
    `the test API server used ${((kubeCpuMs * 1000) / Math.max(1, applied)).toFixed(0)} µs per object` +
    `${dbCpuMs === undefined ? '' : `, PostgreSQL's processes ${((dbCpuMs * 1000) / Math.max(1, applied)).toFixed(0)} µs`} (${cpus().length} cores gave ${((cpus().length * coldMs * 1000) / Math.max(1, applied)).toFixed(0)} µs of CPU per object)`);

  // The cold pass leaves watch events in flight (one per object applied and per status written, parsed by
  // client-node), for minutes at 40,000: the commits are measured once the controller has gone quiet, so that
  // they measure a commit, not the tail of the cold apply.
  const settling = performance.now();
  for (let quiet = 0; quiet < 3 && performance.now() - settling < 300_000;) {
    const before = await controller.cpuMicros();
    await new Promise((resolve) => setTimeout(resolve, 500));
    quiet = (await controller.cpuMicros()) - before < 50_000 ? quiet + 1 : 0;
  }
  console.log(`${count} documents: the controller went quiet ${((performance.now() - settling) / 1000).toFixed(1)} s after the cold apply`);

  const latencies: number[] = [];
  if (PROFILE_DIR) await controller.profileStart();
  for (let c = 0; c < COMMITS; c++) {
    const org = `org${c % orgs}`;
    repo.commit({ [`orgs/${org}/teams/team-${c}.yaml`]: teamDoc(org, c, `Renamed ${c}`) }, `rename ${c}`);
    latencies.push(await controller.trigger('webhook'));
    const live = await kube.object({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', namespace: `kradle-org-${org}`, name: `team-${c}` });
    if ((live?.spec as { displayName?: string } | undefined)?.displayName !== `Renamed ${c}`) {
      const [last] = await controller.runs(1);
      throw new Error(`commit ${c} was not applied; last run ${last?.outcome}: ${JSON.stringify(last?.errors.slice(0, 3))}`);
    }
  }
  if (PROFILE_DIR) writeFileSync(join(PROFILE_DIR, `commits-${count}.cpuprofile`), await controller.profileStop());
  const memory = await controller.memory();
  const idle = await controller.memory(IDLE_MS);
  if (SNAPSHOT_DIR) await controller.heapSnapshot(join(SNAPSHOT_DIR, `sync-${count}.heapsnapshot`));
  const result: Result = {
    docs: count, coldS: coldMs / 1000, objectsPerS: applied / (coldMs / 1000), applied, p50: pct(latencies, 50), p95: pct(latencies, 95),
    rssMb: mb(memory.rss), heapMb: mb(memory.heapUsed), serverRssMb: mb(await kube.rss()),
  };
  console.log(`${count} documents: one-file commit -> applied (${COMMITS} commits): p50 ${result.p50.toFixed(0)} ms, p95 ${result.p95.toFixed(0)} ms; ` +
    `controller RSS ${result.rssMb} MB (${controller.code === 'dist' ? 'compiled dist/, as kradle runs' : 'src/ through tsx: dist/ missing or stale'}${NODE_OPTIONS.length ? ` with ${NODE_OPTIONS.join(' ')}` : ''}; ` +
    `${process.env.DATABASE_URL ? 'store on a PostgreSQL server' : 'PGlite in-process'}), after the commits and a forced GC (RSS ${mb(memory.atGc ?? 0)} MB at the GC, settled ${memory.settledMs} ms later as V8 handed back the freed pages): ${describe(memory)}; ` +
    `after ${IDLE_MS / 1000} s idle (nothing forced; V8 ran ${idle.gcs.minor} minor and ${idle.gcs.major} major collections): RSS ${mb(idle.rss)} MB, ${describe(idle)}; peak RSS ${mb(idle.peakRss)} MB; test API server RSS ${result.serverRssMb} MB`);
  return result;
}

const sizes = (values.docs ?? '10000').split(',').map(Number);
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
// --rounds N runs the sizes N times in turn (10k, 40k, 10k, 40k, ...) and compares medians: one cold apply moved by
// x0.76-1.11 between runs on this shared machine while the controller's CPU per object did not.
const results: Result[] = [];
for (let round = 0; round < ROUNDS; round++) for (const docs of sizes) results.push(await one(docs));
const bySize = sizes.map((_, k) => {
  const of = results.filter((_r, i) => i % sizes.length === k);
  return { docs: of[0]!.docs, objectsPerS: median(of.map((r) => r.objectsPerS)), p50: median(of.map((r) => r.p50)), rssMb: median(of.map((r) => r.rssMb)), runs: of };
});
if (ROUNDS > 1) {
  for (const m of bySize) {
    console.log(`${m.docs} documents, median of ${ROUNDS} rounds: cold apply ${m.objectsPerS.toFixed(0)} objects/s (${m.runs.map((r) => r.objectsPerS.toFixed(0)).join(', ')}), ` +
      `one-file commit p50 ${m.p50.toFixed(0)} ms (${m.runs.map((r) => r.p50.toFixed(0)).join(', ')}), controller RSS ${m.rssMb.toFixed(0)} MB (${m.runs.map((r) => r.rssMb).join(', ')})`);
  }
}
const [base, ...larger] = bySize;
for (const r of larger) {
  console.log(`${r.docs} vs ${base!.docs} documents${ROUNDS > 1 ? ' (medians)' : ''}: one-file commit p50 x${(r.p50 / base!.p50).toFixed(2)} (target <= 1.5), cold apply objects/s x${(r.objectsPerS / base!.objectsPerS).toFixed(2)} (target >= 1)`);
}
console.log(`targets at 10,000: one-file commit p50 < 150 ms, cold apply >= 500 objects/s, controller RSS < 400 MB; load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
