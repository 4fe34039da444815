// bench/sync-serve: `kradle serve` on its embedded defaults (PGlite, plan-only: no kubeconfig) over a generated
// config repo of N documents: a one-file commit, then POST /api/sync, until GET /api/sync reports the commit as
// synced (median and max of several commits), for each size, the larger ones as ratios of the first.
// `node --import tsx bench/sync-serve.ts [--docs 10000,100000] [--commits 5] [--profile DIR] [--heap-snapshot DIR]
// [--in-memory]`; --heap-snapshot writes the server's heap after the commits; --profile writes a CPU
// profile of the one-file commits alone (not the start) to DIR/serve-commits-<docs>.cpuprofile (summarize it with
// bench/sync-server/top-frames.ts).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { startServer } from '../src/server/server.ts';
import { generatedRepo, teamDoc } from './support/generated-repo.ts';
import { createTestRepo, tempDir } from '../test/support/git-repo.ts';
import { median } from './support/median.ts';

const { values } = parseArgs({ options: { docs: { type: 'string' }, commits: { type: 'string' }, profile: { type: 'string' }, 'in-memory': { type: 'boolean' }, 'heap-snapshot': { type: 'string' } } });
// As `kradle serve` runs by default: PGlite in a data directory on disk. --in-memory: `memory://`, where PGlite's
// files (tables, WAL) live in this process's memory too.
const IN_MEMORY = values['in-memory'] ?? false;
const COMMITS = Number(values.commits ?? 5);

const mb = (bytes: number) => Math.round(bytes / 1e6);
const peakRss = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** RSS and where it goes after a full GC (garbage is not what the server holds): V8's heap, ArrayBuffers (with --in-memory, PGlite's files). */
function memory(): string {
  gc();
  const m = process.memoryUsage();
  return `RSS ${mb(m.rss)} MB (peak ${mb(peakRss())} MB; V8 heap ${mb(m.heapUsed)} of ${mb(m.heapTotal)} MB, ArrayBuffers ${mb(m.arrayBuffers)} MB; PGlite ${IN_MEMORY ? 'in memory://' : 'on disk'})`;
}

async function one(docs: number): Promise<number> {
  const repo = createTestRepo();
  const { files, count, orgs } = generatedRepo(docs);
  repo.commit(files, 'generated');
  const stateDir = tempDir('kradle-bench-serve-');
  let t0 = performance.now();
  const server = await startServer({
    repo: repo.dir, port: 0, host: '127.0.0.1', stateDir, dataDir: IN_MEMORY ? 'memory://' : join(stateDir, 'data'),
    // The periodic full resync (every 10 min by default) would fire during a 100,000-document start and land on
    // a measured commit: it is a pass over everything, not the one-file sync this bench measures.
    env: { HOME: stateDir }, pollIntervalMs: 3_600_000, resyncIntervalMs: 3_600_000, logger: pino({ level: 'silent' }),
  });
  const token = readFileSync(server.adminTokenFile!, 'utf8').trim();
  const api = async (method: string, path: string) =>
    (await (await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } })).json()) as { syncedRevision?: string; mode?: string };
  // A kept-alive connection the server closes as the next poll goes out (its event loop busy with a load)
  // answers ECONNRESET: that poll is repeated, it says nothing about the sync.
  const poll = () => api('GET', '/api/sync').catch(() => ({ syncedRevision: undefined }));
  const syncedTo = async (commit: string) => {
    while ((await poll()).syncedRevision !== commit) await new Promise((r) => setTimeout(r, 5));
  };
  await syncedTo(repo.head());
  console.log(`${count} documents: serve started and synced in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${memory()}`);
  const times: number[] = [];
  const profiler = values.profile ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  for (let c = 0; c < COMMITS; c++) {
    const org = `org${c % orgs}`;
    const commit = repo.commit({ [`orgs/${org}/teams/team-${c}.yaml`]: teamDoc(org, c, `Renamed ${c}`) }, `rename ${c}`);
    t0 = performance.now();
    await api('POST', '/api/sync');
    await syncedTo(commit);
    times.push(performance.now() - t0);
  }
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(join(values.profile!, `serve-commits-${count}.cpuprofile`), JSON.stringify(profile));
    profiler.disconnect();
  }
  console.log(`${count} documents: plan-only one-file commit -> reported synced: median ${median(times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms (${COMMITS} commits); ${memory()}`);
  if (values['heap-snapshot']) writeHeapSnapshot(join(values['heap-snapshot'], `serve-${count}.heapsnapshot`));
  await server.close();
  repo.remove();
  rmSync(stateDir, { recursive: true, force: true });
  return median(times);
}

console.log(`machine: ${cpus().length} cores, node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const sizes = (values.docs ?? '10000').split(',').map(Number);
const medians: number[] = [];
for (const docs of sizes) medians.push(await one(docs));
for (let i = 1; i < sizes.length; i++) console.log(`${sizes[i]} vs ${sizes[0]} documents: x${(medians[i]! / medians[0]!).toFixed(2)} (target <= 1.5; under 300 ms at 10,000)`);
