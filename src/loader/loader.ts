import { performance } from 'node:perf_hooks';
import { createSchemaValidator, type SchemaValidator } from '../schema/index.ts';
import type { Snapshot, SnapshotFile } from '../source/types.ts';
import type { Candidate } from './classify.ts';
import { createUnitCache } from './file-unit.ts';
import { sortErrors, type LoadError } from './errors.ts';
import { parseBytes, textOf, withPositions, type ParsedFile } from './parse.ts';
import { startParsePool, WORKER_ONLY_BYTES } from './parse-pool.ts';
import { checkRevision } from './semantic.ts';
import { createDesiredState, sortLike, toDesiredResource } from './state.ts';
import type { DesiredResource } from './types.ts';
import type { LoadResult, LoadStats } from './types.ts';

export interface LoaderDeps {
  /** Defaults to the schemas/ of this package, compiled once per kind. */
  validator?: SchemaValidator;
  /** Blobs read at once from the snapshot (default 32). */
  readConcurrency?: number;
  /** Parse on worker threads when at least this many files are new (default 500; Infinity: never). */
  parallelFrom?: number;
  /** True: when parsing in parallel, the main thread parses too (default: it leaves parsing to the workers). */
  parseOnMainThread?: boolean;
  /** How long a worker may parse one batch (default PARSE_BUDGET_MS). */
  parseBudgetMs?: number;
}

export interface Loader {
  /** Loads a whole revision: a desired state, or every error and no state. */
  load(snapshot: Snapshot): Promise<LoadResult>;
}

const YAML_FILE = /\.ya?ml$/i;

/**
 * Parsed files are cached by blob id, so a new revision parses only the blobs it changed; the
 * cache keeps the blobs of the last two loads (a diff alternates between base and head).
 */
export function createLoader(deps: LoaderDeps = {}): Loader {
  const validator = deps.validator ?? createSchemaValidator();
  const concurrency = deps.readConcurrency ?? 32;
  const parallelFrom = deps.parallelFrom ?? 500;
  const units = createUnitCache(validator);
  let lastSorted: DesiredResource[] = [];
  let previous = new Map<string, ParsedFile>();
  let current = new Map<string, ParsedFile>();

  /** Parses what no cache holds; `onParsed` gets each new file as a worker returns it, to start on it meanwhile. */
  async function parseAll(files: SnapshotFile[], snapshot: Snapshot, stats: LoadStats,
    onParsed: (oid: string, file: ParsedFile) => void): Promise<Map<string, ParsedFile>> {
    const used = new Map<string, ParsedFile>();
    const missing = new Set<string>();
    for (const f of files) {
      const hit = used.get(f.oid) ?? current.get(f.oid) ?? previous.get(f.oid);
      if (hit) used.set(f.oid, hit);
      else missing.add(f.oid);
    }
    const unique = [...missing];
    const poolOptions = { mainThread: deps.parseOnMainThread, budgetMs: deps.parseBudgetMs };
    // Workers start before the blobs are read, so they boot meanwhile.
    let pool = unique.length >= parallelFrom ? startParsePool(poolOptions) : undefined;
    let blobs: Uint8Array[];
    try {
      blobs = await readAll(unique, snapshot);
    } catch (err) {
      await pool?.close();
      throw err;
    }
    // A big file is parsed on a worker however few files changed: the API and the event loop stay responsive.
    if (!pool && blobs.some((b) => b.byteLength >= WORKER_ONLY_BYTES)) pool = startParsePool(poolOptions);
    const parsed = pool
      ? await pool.parse(blobs, (i, file) => onParsed(unique[i]!, file))
      : { files: blobs.map((b) => withPositions(parseBytes(b), () => textOf(b))), onWorkers: 0 };
    unique.forEach((oid, i) => used.set(oid, parsed.files[i]!));
    stats.parsedOnWorkers = parsed.onWorkers;
    stats.parsedFiles = unique.length;
    stats.cachedFiles = files.length - stats.parsedFiles;
    return used;
  }

  async function readAll(oids: string[], snapshot: Snapshot): Promise<Uint8Array[]> {
    const blobs: Uint8Array[] = new Array(oids.length);
    let next = 0;
    const reader = async () => {
      while (next < oids.length) {
        const i = next++;
        blobs[i] = await snapshot.readBlob(oids[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, oids.length) }, reader));
    return blobs;
  }

  return {
    async load(snapshot) {
      const started = performance.now();
      const files = snapshot.files.filter((f) => f.symlink || YAML_FILE.test(f.path)).sort((a, b) => (a.path < b.path ? -1 : 1));
      const stats: LoadStats = { files: files.length, documents: 0, parsedFiles: 0, cachedFiles: 0, durationMs: 0 };
      const regular = files.filter((f) => !f.symlink);
      const pathsOf = new Map<string, string[]>();
      for (const f of regular) pathsOf.set(f.oid, [...(pathsOf.get(f.oid) ?? []), f.path]);
      // Files are classified as workers return them, while the others are still being parsed.
      const parsed = await parseAll(regular, snapshot, stats, (oid, file) => {
        for (const path of pathsOf.get(oid)!) units.unit(path, oid, () => file);
      });
      previous = current;
      current = parsed;
      const errors: LoadError[] = [];
      const candidates: Candidate[] = [];
      const ghosts: Candidate[] = [];
      for (const f of files) {
        if (f.symlink) {
          // A link's target may leave the repo or the revision; only committed documents are desired state.
          errors.push({ path: f.path, line: 1, column: 1, code: 'SYMLINK_NOT_SUPPORTED', message: 'a symbolic link: Kradle reads regular files and directories only; commit the documents themselves' });
          continue;
        }
        const file = parsed.get(f.oid)!;
        const u = units.unit(f.path, f.oid, () => file);
        // A parse stopped by the time budget (a machine loaded far past its cores) is not kept: the next load tries again.
        if (file.stopped) (units.forget(f.path), current.delete(f.oid));
        stats.documents += u.documents;
        for (const e of u.errors) errors.push(e);
        for (const c of u.candidates) candidates.push(c);
        for (const g of u.ghosts) ghosts.push(g);
      }
      units.rotate();
      const scoped = checkRevision(candidates, ghosts, errors);
      const finish = () => ((stats.durationMs = performance.now() - started), stats);
      if (errors.length) return { ok: false, revision: snapshot.revision, errors: sortErrors(errors), stats: finish() };
      const resources = sortLike(scoped.map(toDesiredResource), lastSorted);
      const state = createDesiredState(snapshot.revision, resources);
      lastSorted = resources;
      return { ok: true, state, stats: finish() };
    },
  };
}
