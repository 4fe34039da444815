// bench/cli: how fast `kradle` answers, as a process. Prints medians next to the figures of issues 13/14
// (measured before the compiled CLI) and the same commands run through tsx (KRADLE_TSX=1) in this run, then
// `kradle validate` of a generated 10,000-document repo against the raw parse floor of the same run.
// `npm run build` first, so bin/kradle.js runs dist/. Run: npm run bench -- cli
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../test/support/git-repo.ts';
import { packedGeneratedRepo } from './support/load-repo.ts';
import { formatRuns, validateAgainstFloor } from './support/parse-floor.ts';
import { median } from './support/median.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'bin/kradle.js');
const SAMPLE = join(ROOT, 'fixtures/config-repo');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);


function timeRun(args: string[], env: Record<string, string> = {}): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  if (r.status !== 0 && args[0] === BIN) throw new Error(`kradle ${args.slice(1).join(' ')} exited ${r.status}`);
  return performance.now() - started;
}

function row(what: string, args: string[], before: string, target: string): void {
  const compiled = median(Array.from({ length: RUNS }, () => timeRun([BIN, ...args])));
  const tsx = median(Array.from({ length: RUNS }, () => timeRun([BIN, ...args], { KRADLE_TSX: '1' })));
  console.log(`${what.padEnd(34)} ${(compiled / 1000).toFixed(2).padStart(6)} s   tsx ${(tsx / 1000).toFixed(2).padStart(5)} s   issue: ${before.padEnd(7)} target: ${target}`);
}

/** `kradle serve` on a state directory: ms to its first output line, to a 200 on /healthz and on /readyz. */
async function serveOnce(stateDir: string, port: number): Promise<{ firstLine: number; healthz: number; readyz: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'serve', '--state-dir', stateDir, '--port', String(port), '--poll-interval', '3600'], {
    env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let firstLine = 0;
  const first = () => (firstLine ||= performance.now() - started);
  child.stdout.once('data', first);
  child.stderr.once('data', first);
  let healthz = 0;
  for (let i = 0; i < 6000 && !healthz; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (ok) healthz = performance.now() - started;
    else await new Promise((r) => setTimeout(r, 20));
  }
  let readyz = 0;
  for (let i = 0; i < 6000 && healthz && !readyz; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ok) readyz = performance.now() - started;
    else await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGTERM');
  // A server that does not stop within 20 s (seen on a loaded machine) must not stall the bench.
  const stopped = await Promise.race([new Promise((r) => child.once('close', () => r(true))), new Promise((r) => setTimeout(() => r(false), 20_000))]);
  if (!stopped) {
    console.log('  (kradle serve did not stop within 20 s of SIGTERM; killed)');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
  }
  return { firstLine, healthz, readyz };
}

console.log(`kradle CLI start-up, median of ${RUNS} runs; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on this machine`);
const nodeAlone = median(Array.from({ length: RUNS }, () => timeRun(['-e', '0'])));
console.log(`${'node -e 0 (the floor)'.padEnd(34)} ${(nodeAlone / 1000).toFixed(2).padStart(6)} s`);
row('kradle --help', ['--help'], '2.7 s', '0.3 s');
row('kradle version', ['version'], '(none)', '0.3 s');
row('kradle kinds', ['kinds'], '0.39 s', '');
row('kradle validate (sample, 70 docs)', ['validate', '--repo', SAMPLE], '1.2 s', '0.5 s');

/**
 * `kradle validate` of bench/load's generated 10,000-document repo (packed, a working tree with its index), median of
 * RUNS processes, each right after a run of the raw parse floor that bench/load uses too (bench/support/parse-floor.ts:
 * what the floor is, and why).
 */
function validateAtScale(docs: number): void {
  const dir = tempDir('kradle-bench-cli-validate-');
  const { repo, paths } = packedGeneratedRepo(dir, docs, 20);
  try {
    const v = validateAgainstFloor(dir, paths, RUNS);
    console.log(`${`kradle validate (${docs.toLocaleString('en')} docs)`.padEnd(34)} ${(v.validate / 1000).toFixed(2).padStart(6)} s   ` +
      `${(v.validate / v.floor).toFixed(2)}x the raw parse floor of ${(v.floor / 1000).toFixed(2)} s (a process reading and parsing every file ` +
      `on one core; validate runs ${formatRuns(v.validateRuns)}; floor runs ${formatRuns(v.floorRuns)})   issue: 2.3x   target: 1.3x`);
    console.log(`${''.padEnd(34)} ${''.padStart(6)}     stricter: ${(v.validate / v.perCore).toFixed(2)}x the parse alone divided by the cores ` +
      `(${(v.oneCore / 1000).toFixed(2)} s / ${availableParallelism()} = ${(v.perCore / 1000).toFixed(2)} s), the figure earlier closing notes gave`);
  } finally {
    repo.remove();
  }
}
validateAtScale(10_000);

const stateDir = mkdtempSync(join(tmpdir(), 'kradle-bench-cli-'));
mkdirSync(stateDir, { recursive: true });
try {
  const port = 39_000 + Math.floor(Math.random() * 1000);
  const cold = await serveOnce(stateDir, port);
  console.log(`kradle serve, first start:  first line ${(cold.firstLine / 1000).toFixed(2)} s, /healthz ${(cold.healthz / 1000).toFixed(2)} s, /readyz ${(cold.readyz / 1000).toFixed(2)} s   issue: 5-11 s`);
  const warm: { firstLine: number; healthz: number; readyz: number }[] = [];
  for (let i = 0; i < Math.min(RUNS, 3); i++) warm.push(await serveOnce(stateDir, port));
  const w = { firstLine: median(warm.map((x) => x.firstLine)), healthz: median(warm.map((x) => x.healthz)), readyz: median(warm.map((x) => x.readyz)) };
  console.log(`kradle serve, warm start:   first line ${(w.firstLine / 1000).toFixed(2)} s, /healthz ${(w.healthz / 1000).toFixed(2)} s, /readyz ${(w.readyz / 1000).toFixed(2)} s   target: first line 0.5 s, /healthz 2 s`);
} finally {
  rmSync(stateDir, { recursive: true, force: true });
}
