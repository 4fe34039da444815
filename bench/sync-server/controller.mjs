// The controller of bench/sync in a process of its own, run as users run Kradle: the compiled dist/ (npm run
// build) on plain node, so neither tsx's module-hooks thread nor the source maps it loads are counted in its
// RSS. Plain JavaScript because a TypeScript file would need that loader. With `src` as its argument (dist/ is
// missing or older than src/), the parent starts it under tsx and it imports the sources.
// Wired as test/support/sync-harness.ts `createTestSync` wires it (the way `kradle serve` does): a git source,
// a loader, the sync controller and the leadership manager. Started with fork(); it answers {id, op, ...}
// messages with {id, ...} (see bench/sync-server/controller-client.ts).
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics, writeHeapSnapshot } from 'node:v8';

const from = process.argv[2] === 'src' ? ['../../src', 'ts'] : ['../../dist', 'js'];
const load = (path) => import(new URL(`${from[0]}/${path}.${from[1]}`, import.meta.url).href);
const [{ buildCrds, createLiveDriver, healthOf }, { createLoader }, { createSyncController }, { createLeadership }, { createGitSource }, { createStore }, { KubeConfig }] =
  await Promise.all([load('cluster/index'), load('loader/index'), load('reconcile/sync/index'), load('server/leadership'), load('source/index'), load('store/index'), import('@kubernetes/client-node')]);

const quiet = { info() {}, warn() {}, error() {} };
const CRD_KINDS = ['Organization', 'OrgNamespaceBinding', 'Team', 'AgentServiceAccount', 'RunnerPool'];
let store;
let controller;
let leadership;
let profiler;

/** Where the RSS goes, from /proc/self/smaps: V8's heap, other anonymous memory (V8 pages its spaces no longer count, glibc's malloc arenas, thread stacks), mapped files (the node binary, libraries). */
function memory() {
  const mu = process.memoryUsage();
  let anon = 0;
  let files = 0;
  let file = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) file = head[1] !== '0' && head[2].startsWith('/');
    else if (line.startsWith('Rss:')) {
      const kb = Number(line.split(/\s+/)[1]) * 1024;
      if (file) files += kb;
      else anon += kb;
    }
  }
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { committed: s.physical_space_size, used: s.space_used_size }]));
  const v8Committed = Object.values(spaces).reduce((n, s) => n + s.committed, 0);
  return {
    rss: mu.rss, heapUsed: mu.heapUsed, heapTotal: mu.heapTotal, external: mu.external, arrayBuffers: mu.arrayBuffers,
    v8Committed, spaces, otherAnon: anon - v8Committed, files,
    workers: process.report.getReport().workers.length,
    peakRss: Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024,
    mainArena: mainArena(),
  };
}

/** Resident memory of glibc's main arena (the brk heap). */
function mainArena() {
  const smaps = readFileSync('/proc/self/smaps', 'utf8');
  const at = smaps.indexOf('[heap]');
  return at < 0 ? 0 : Number(/Rss:\s+(\d+)/.exec(smaps.slice(at))[1]) * 1024;
}

/** The highest V8 heap (used, and committed in pages) seen since the last `heapPeak`, sampled every 50 ms. */
let peak = { used: 0, committed: 0 };
setInterval(() => {
  const h = getHeapStatistics();
  peak = { used: Math.max(peak.used, h.used_heap_size), committed: Math.max(peak.committed, h.total_physical_size) };
}, 50).unref();

const ops = {
  async start({ repoDir, kubeConfigPath, databaseUrl, schema }) {
    store = databaseUrl ? createStore({ databaseUrl, schema }) : createStore({ dataDir: 'memory://' });
    await store.migrate();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeConfigPath);
    const loader = createLoader();
    controller = createSyncController({
      source: createGitSource({ url: repoDir, ref: 'main' }),
      load: (s) => loader.load(s),
      store,
      driver: createLiveDriver({ kubeConfig }),
      healthOf: (obj) => healthOf(obj),
      logger: quiet,
      crds: buildCrds().filter((c) => CRD_KINDS.includes(c.spec.names.kind)),
      pollIntervalMs: 3_600_000,
      resyncIntervalMs: 3_600_000,
    });
    leadership = createLeadership({ store, logger: quiet });
    leadership.register(controller.leaderWork);
    const t0 = performance.now();
    await controller.start();
    await leadership.start();
    return { ms: performance.now() - t0 };
  },
  async trigger({ reason }) {
    const t0 = performance.now();
    await controller.trigger(reason);
    return { ms: performance.now() - t0 };
  },
  runs: async ({ limit }) => ({ runs: await store.syncRuns.list({ limit }) }),
  // Forced (no idleMs): a full GC first, then the reading once the RSS has stopped falling. The pages a forced GC
  // frees are handed back by V8's background unmapper a moment later: read right after gc(), they were still
  // resident (1,254 V8 pages, 308 MB, against 245 MB committed) and the RSS swung by 100 MB from run to run.
  // Otherwise after idleMs without work, as the controller sits between commits, with the collections V8 ran
  // meanwhile: none means its memory reducer did not start (it waits for allocation to be low).
  async memory({ idleMs }) {
    if (!idleMs) {
      global.gc?.();
      const atGc = process.memoryUsage.rss();
      const since = performance.now();
      for (let last = atGc; performance.now() - since < 3_000;) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const now = process.memoryUsage.rss();
        if (last - now < 1e6) break;
        last = now;
      }
      return { memory: { ...memory(), gcs: { minor: 0, major: 0 }, atGc, settledMs: Math.round(performance.now() - since) } };
    }
    const gcs = { minor: 0, major: 0 };
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) gcs.minor++;
        else if (e.detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR || e.detail?.kind === perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL) gcs.major++;
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    observer.disconnect();
    return { memory: { ...memory(), gcs } };
  },
  async heapPeak() {
    const seen = peak;
    peak = { used: 0, committed: 0 };
    return { peak: seen };
  },
  async cpu() {
    const { user, system } = process.cpuUsage();
    return { micros: user + system };
  },
  async heapSnapshot({ path }) {
    global.gc?.();
    return { path: writeHeapSnapshot(path) };
  },
  async profileStart() {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    return {};
  },
  async profileStop() {
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    return { profile: JSON.stringify(profile) };
  },
  async stop({ dropSchema }) {
    await leadership.close();
    await controller.stop();
    if (dropSchema) await store.query(`DROP SCHEMA ${dropSchema} CASCADE`);
    await store.close();
    return {};
  },
};

process.on('message', (m) => {
  ops[m.op](m).then(
    (answer) => process.send({ id: m.id, ...answer }),
    (err) => process.send({ id: m.id, error: err instanceof Error ? err.stack : String(err) }),
  );
});
process.send({ ready: true, code: from[0].slice(6) });
