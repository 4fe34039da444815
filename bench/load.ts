// Cold load + validate of N generated documents in a real Git repo, next to a YAML-parse-only baseline;
// then a one-file incremental reload and a diff. `node --import tsx bench/load.ts --docs 100000 [--src]`.
// The baseline is yaml's parse of the same files; the loader parses files in a common subset of YAML without yaml
// (simple-yaml.ts), and the generated files are all in it: the line after the baseline says how many are.
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { LoadResult } from '../src/loader/index.ts';
import { tempDir } from '../test/support/git-repo.ts';
import { compiledIsFresh } from './support/compiled.ts';
import { packedGeneratedRepo } from './support/load-repo.ts';
import { formatRuns, validateAgainstFloor } from './support/parse-floor.ts';
import { median } from './support/median.ts';

const { values } = parseArgs({
  options: { docs: { type: 'string', default: '10000' }, orgs: { type: 'string', default: '20' }, src: { type: 'boolean', default: false } },
});
// What a controller runs: the compiled dist/ (npm run build) when it is fresh, as bin/kradle.js does; else, or
// with --src, the TypeScript sources (which also compile every schema at first use instead of loading the
// build's precompiled validators).
const compiled = !values.src && compiledIsFresh();
const from = compiled ? '../dist' : '../src';
const ext = compiled ? 'js' : 'ts';
const { createLoader } = (await import(`${from}/loader/index.${ext}`)) as typeof import('../src/loader/index.ts');
const { diffStates } = (await import(`${from}/plan/index.${ext}`)) as typeof import('../src/plan/index.ts');
const { createGitSource } = (await import(`${from}/source/index.${ext}`)) as typeof import('../src/source/index.ts');
const { parseSimpleYaml } = (await import(`${from}/loader/simple-yaml.${ext}`)) as typeof import('../src/loader/simple-yaml.ts');
const DOCS = Math.min(100_000, Math.max(10, Number(values.docs)));
const ORGS = Math.max(1, Number(values.orgs));
const ms = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`;
// CPU of every thread (main, parse workers, GC): on a shared machine it says more than wall time.
const cpuMs = (c0: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(c0);
  return `${((c.user + c.system) / 1000).toFixed(0)} ms`;
};
console.log(`machine: load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; code: ${compiled ? 'dist/ (compiled)' : 'src/ (TypeScript, through tsx)'}`);
// A full collection before reading the heap, so heap per document counts what the desired state keeps.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => (gc(), process.memoryUsage().heapUsed / 1e6);
function check(r: LoadResult): LoadResult & { ok: true } {
  if (!r.ok) throw new Error(`generated repo does not validate: ${r.errors.slice(0, 3).map((e) => `${e.path}:${e.line} ${e.code} ${e.message}`).join('; ')}`);
  return r;
}

const dir = tempDir('kradle-bench-load-');
let t0 = performance.now();
const { repo, paths } = packedGeneratedRepo(dir, DOCS, ORGS);
const base = repo.head();
console.log(`generated ${DOCS} documents in ${paths.length} files, git repo packed, in ${ms(t0)}`);
// The baseline and the raw parse floor, measured the one way bench/cli measures them too: each a fresh process that
// reads and parses every file with yaml on one core (the baseline is its parse alone, the floor the whole process),
// paired with a `kradle validate` process right after it. Their medians.
const VALIDATE_RUNS = DOCS <= 20_000 ? 3 : 1;
const v = validateAgainstFloor(dir, paths, VALIDATE_RUNS);
const baseline = v.oneCore;
const mb = paths.reduce((n, p) => n + statSync(join(dir, p)).size, 0) / 1e6;
const simple = paths.filter((p) => parseSimpleYaml(readFileSync(join(dir, p), 'utf8')) !== undefined).length;
console.log(`baseline: YAML parse only on one core (parseAllDocuments + toJS) of ${mb.toFixed(1)} MB, median of ${VALIDATE_RUNS} fresh processes: ` +
  `${baseline.toFixed(0)} ms; raw parse floor (that process, start to exit) ${v.floor.toFixed(0)} ms (${formatRuns(v.floorRuns)} s); ` +
  `${simple} of ${paths.length} files are in the subset the loader parses without yaml (src/loader/simple-yaml.ts)`);

const heapBefore = heapMb();
const source = createGitSource({ url: dir });
const loader = createLoader();
let c0 = process.cpuUsage();
t0 = performance.now();
const snap = await source.snapshot(base);
const snapMs = performance.now() - t0;
const cold = check(await loader.load(snap));
const coldMs = performance.now() - t0;
console.log(`cold: snapshot ${snapMs.toFixed(0)} ms + load/validate ${cold.stats.durationMs.toFixed(0)} ms = ${coldMs.toFixed(0)} ms ` +
  `(${(coldMs / baseline).toFixed(2)}x baseline) — ${cold.state.resources.size} resources, ` +
  `${cold.stats.parsedOnWorkers ?? 0} files parsed on a worker, cpu ${cpuMs(c0)} (target: at most 1.0x baseline)`);
const heapKept = heapMb() - heapBefore;
console.log(`heap kept by the desired state and the loader's caches: ${heapKept.toFixed(0)} MB, ${((heapKept * 1e6) / cold.state.resources.size / 1024).toFixed(1)} KB per document`);

// `kradle validate` as a user runs it: fresh processes (start-up, workers) on the packed repo, each run right after
// one of the baseline's runs above.
console.log(`kradle validate process: median ${v.validate.toFixed(0)} ms (${formatRuns(v.validateRuns)} s) ` +
  `(${(v.validate / v.floor).toFixed(2)}x the raw parse floor, target at most 1.3x; ${(v.validate / baseline).toFixed(2)}x the one-core baseline; ` +
  `stricter: ${(v.validate / v.perCore).toFixed(2)}x the baseline divided by the ${availableParallelism()} cores)`);

const changed = paths.find((p) => p.includes('/runnerpools/') || p.includes('/repositories/'))!;
repo.commit({ [changed]: readFileSync(join(dir, changed), 'utf8').replace('visibility: private', 'visibility: internal') }, 'one file');
const head = repo.head();
c0 = process.cpuUsage();
t0 = performance.now();
const headSnap = await source.snapshot(head);
const headSnapMs = performance.now() - t0;
const warm = check(await loader.load(headSnap));
console.log(`1-file reload: ${ms(t0)} (snapshot ${headSnapMs.toFixed(0)} ms + load ${warm.stats.durationMs.toFixed(0)} ms; parsed ${warm.stats.parsedFiles} file, ${warm.stats.cachedFiles} cached, ` +
  `${warm.stats.checkedDocuments} document(s) checked again; cpu ${cpuMs(c0)})`);

// The reload again on the same loader, alternating head and base as a diff preview does: a steadier figure
// (20 of them: single reloads take a few ms, and a shared machine's noise is of that order).
// A full collection first: what the cold load left for the collector is not a reload's cost.
gc();
const times: number[] = [];
const cpus: number[] = [];
for (let i = 0; i < 20; i++) {
  const c = process.cpuUsage();
  t0 = performance.now();
  check(await loader.load(await source.snapshot(i % 2 ? head : base)));
  times.push(performance.now() - t0);
  const u = process.cpuUsage(c);
  cpus.push((u.user + u.system) / 1000);
}
times.sort((a, b) => a - b);
console.log(`1-file reload, 20 more (head/base alternating): median ${median(times).toFixed(1)} ms (cpu ${median(cpus).toFixed(1)} ms), ` +
  `min ${times[0]!.toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms (target at 100,000 documents: under 50 ms and within 1.5x of the same reload at 10,000)`);

t0 = performance.now();
const d = diffStates(cold.state, warm.state);
console.log(`diff: ${ms(t0)} (${d.created.length} created, ${d.changed.length} changed, ${d.deleted.length} deleted, ${d.unchanged} unchanged)`);
console.log(`rss: ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB, heap used ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB ` +
  '(target at 100,000 documents: cold load under 10 s, RSS under 800 MB)');
repo.remove();
