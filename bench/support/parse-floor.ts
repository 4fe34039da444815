// The raw parse floor that bench/load and bench/cli hold `kradle validate` to, measured one way for both: yaml's
// parse of every file, on one core, in a fresh process (as the validate process is fresh), divided by the cores.
// Each floor run is paired with a validate run right after it, so both see the same load on a shared machine;
// the medians are compared.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { median } from './median.ts';

const CHILD = fileURLToPath(new URL('./parse-floor-child.ts', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/kradle.js', import.meta.url));

function oneCoreParseMs(dir: string, paths: string[]): number {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, dir], { input: paths.join('\n'), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the parse floor run failed: ${r.stderr}`);
  return Number(r.stdout);
}

function validateMs(dir: string): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, [BIN, 'validate', '--repo', dir], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`kradle validate exited ${r.status}`);
  return performance.now() - started;
}

export interface ValidateAgainstFloor {
  /** Median one-core parse of every file, ms. */
  oneCore: number;
  /** oneCore divided by the cores: what a perfect parallel parse would take, ms. */
  floor: number;
  /** Median wall time of the `kradle validate` process, ms. */
  validate: number;
  validateRuns: number[];
  floorRuns: number[];
}

/** `runs` pairs of (floor run, validate run) on the repo in `dir`, compared by their medians. */
export function validateAgainstFloor(dir: string, paths: string[], runs: number): ValidateAgainstFloor {
  const floorRuns: number[] = [];
  const validateRuns: number[] = [];
  for (let i = 0; i < runs; i++) {
    floorRuns.push(oneCoreParseMs(dir, paths));
    validateRuns.push(validateMs(dir));
  }
  const oneCore = median(floorRuns);
  return { oneCore, floor: oneCore / availableParallelism(), validate: median(validateRuns), validateRuns, floorRuns };
}

export const formatRuns = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(', ');
