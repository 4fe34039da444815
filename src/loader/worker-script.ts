import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * How to start a parse worker. Started under the TypeScript loader (tsx, inherited through execArgv), a worker
 * spends ~0.3-0.9 s of CPU loading it and transpiling its modules; started from one bundled CommonJS file
 * without it, ~50 ms. The bundle is dist/loader/parse-worker.cjs when the build made one (scripts/build.mjs);
 * under the sources it is made with esbuild (tsx's own) on first use and cached in the temp directory, keyed by
 * the path, size and mtime of every file it was made from. Without either, the worker runs the sources through
 * tsx as before (parse-worker.mjs).
 */
export interface WorkerScript {
  url: URL;
  /** Undefined: the process's own, inherited. */
  execArgv?: string[];
}

const BUNDLED = new URL('./parse-worker.cjs', import.meta.url);
const ENTRY = new URL('./parse-worker.ts', import.meta.url);
const FALLBACK: WorkerScript = { url: new URL('./parse-worker.mjs', import.meta.url) };

/** The process's flags without the module loaders (`--import tsx`): a bundle needs none. */
function withoutLoaders(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (/^(--import|--loader|--experimental-loader|--require|-r)$/.test(a)) i++;
    else if (!/^(--import|--loader|--experimental-loader|--require)=/.test(a)) out.push(a);
  }
  return out;
}

let script: Promise<WorkerScript> | undefined;

/** The worker to start, found (or bundled) once per process. */
export function parseWorkerScript(): Promise<WorkerScript> {
  return (script ??= find());
}

/**
 * Starts a worker. Flags given explicitly are checked, unlike inherited ones: one a worker may not take (a V8
 * flag such as --expose-gc) fails the start, so the worker then starts with none, and so do the next ones.
 */
export function startWorker(s: WorkerScript): Worker {
  try {
    return new Worker(s.url, s.execArgv && { execArgv: s.execArgv });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV' || !s.execArgv?.length) throw err;
    s.execArgv = [];
    return new Worker(s.url, { execArgv: [] });
  }
}

async function find(): Promise<WorkerScript> {
  if (existsSync(BUNDLED)) return { url: BUNDLED, execArgv: withoutLoaders(process.execArgv) };
  if (!ENTRY.pathname.endsWith('.ts') || !existsSync(ENTRY)) return FALLBACK;
  try {
    return { url: pathToFileURL(await cachedBundle(fileURLToPath(ENTRY))), execArgv: withoutLoaders(process.execArgv) };
  } catch {
    return FALLBACK; // no esbuild, a read-only temp directory: slower, still correct
  }
}

/** `[path, size, mtime]` of each input, on the bundle's first line. */
type Inputs = [string, number, number][];
// The version tells bundles made with other options (v2: import.meta.url defined) from these.
const HEADER = '// kradle parse-worker bundle v2, made from: ';

function stamp(path: string): [string, number, number] {
  const s = statSync(path);
  return [path, s.size, s.mtimeMs];
}

function fresh(file: string): boolean {
  try {
    const text = readFileSync(file, 'utf8');
    const first = text.slice(0, text.indexOf('\n'));
    if (!first.startsWith(HEADER)) return false;
    const inputs = JSON.parse(first.slice(HEADER.length)) as Inputs;
    return inputs.every(([path, size, mtime]) => {
      const [, s, m] = stamp(path);
      return s === size && m === mtime;
    });
  } catch {
    return false;
  }
}

async function cachedBundle(entry: string): Promise<string> {
  const file = join(tmpdir(), 'kradle-build', `parse-worker-${createHash('sha256').update(entry).digest('hex').slice(0, 16)}.cjs`);
  if (fresh(file)) return file;
  // esbuild is tsx's dependency: the sources only run under tsx, so it is there whenever this runs.
  const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx'));
  const esbuild = (await import(pathToFileURL(fromTsx.resolve('esbuild')).href)) as typeof import('esbuild');
  const root = dirname(entry);
  const out = await esbuild.build({
    entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false,
    metafile: true, absWorkingDir: root, logLevel: 'silent',
    // A CommonJS bundle has no import.meta: the modules that find files or packages from where they lie (schema/)
    // get the entry's own URL, which sits beside them in the sources, not the bundle's in the temp directory.
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(entry).href) },
  });
  const inputs: Inputs = Object.keys(out.metafile.inputs).map((p) => stamp(resolve(root, p)));
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${HEADER}${JSON.stringify(inputs)}\n${out.outputFiles[0]!.text}`);
  renameSync(tmp, file); // whole or not at all, for processes bundling at once
  return file;
}
