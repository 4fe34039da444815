// The raw parse floor that bench/load and bench/cli hold `kradle validate` to, measured one way for both: a fresh
// process (as the validate process is fresh) that reads every file and parses it with yaml on one core. The
// issue's own figures fix this reading: its validate process took 3.6 s, "2.3x the raw parse floor", so a floor
// of about 1.6 s, a one-core figure (the same table's in-process one-core parse was 1.3 s; divided by two cores it
// would have made that 5.5x). Benches before this one divided the parse alone by the cores; that stricter figure
// is still printed beside it. Each floor run is paired with a validate run right after it, so both see the same
// load on a shared machine; the medians are compared.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { median } from './median.ts';

const CHILD = fileURLToPath(new URL('./parse-floor-child.mjs', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/kradle.js', import.meta.url));

/** One floor process: its wall time from spawn to exit, and the parse alone as it timed it, ms. */
function floorRun(dir: string, paths: string[]): { process: number; parse: number } {
  const started = performance.now();
  const r = spawnSync(process.execPath, [CHILD, dir], { input: paths.join('\n'), encoding: 'utf8' });
  const wall = performance.now() - started;
  if (r.status !== 0) throw new Error(`the parse floor run failed: ${r.stderr}`);
  return { process: wall, parse: Number(r.stdout) };
}

function validateMs(dir: string): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, [BIN, 'validate', '--repo', dir], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`kradle validate exited ${r.status}`);
  return performance.now() - started;
}

export interface ValidateAgainstFloor {
  /** Median wall time of the floor process (start, read, one-core parse, exit), ms: the raw parse floor. */
  floor: number;
  /** Median one-core parse alone (no start, no reads), ms: bench/load's in-process baseline. */
  oneCore: number;
  /** oneCore divided by the cores: what a perfect parallel parse alone would take, ms (the stricter figure). */
  perCore: number;
  /** Median wall time of the `kradle validate` process, ms. */
  validate: number;
  validateRuns: number[];
  floorRuns: number[];
}

/** `runs` pairs of (floor run, validate run) on the repo in `dir`, compared by their medians. */
export function validateAgainstFloor(dir: string, paths: string[], runs: number): ValidateAgainstFloor {
  const floorRuns: number[] = [];
  const parseRuns: number[] = [];
  const validateRuns: number[] = [];
  for (let i = 0; i < runs; i++) {
    const f = floorRun(dir, paths);
    floorRuns.push(f.process);
    parseRuns.push(f.parse);
    validateRuns.push(validateMs(dir));
  }
  const oneCore = median(parseRuns);
  return { floor: median(floorRuns), oneCore, perCore: oneCore / availableParallelism(), validate: median(validateRuns), validateRuns, floorRuns };
}

export const formatRuns = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(', ');
