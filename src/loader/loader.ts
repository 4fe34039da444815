import { performance } from 'node:perf_hooks';
import { createSchemaValidator, DEFAULT_SCHEMA_DIRS, type SchemaValidator } from '../schema/index.ts';
import type { Snapshot, SnapshotFile } from '../source/types.ts';
import { classifyFile, createRetiredUnits, type FileUnit } from './file-unit.ts';
import { parseBytes, sourceFromBlob, sourceOf, withPositions, type ParsedFile } from './parse.ts';
import { startParsePool, WORKER_ONLY_BYTES } from './parse-pool.ts';
import { createRevisionModel, type FileChange } from './revision-model.ts';
import type { CheckResult, LoadResult, LoadStats } from './types.ts';

export interface LoaderDeps {
  /** Defaults to the schemas/ of this package, compiled once per kind. */
  validator?: SchemaValidator;
  /** Blobs read at once from the snapshot (default 32). */
  readConcurrency?: number;
  /** Parse on worker threads when at least this many files are new (default 500; Infinity: never). */
  parallelFrom?: number;
  /** False: when parsing in parallel, the main thread leaves parsing to the workers (default: it takes a share). */
  parseOnMainThread?: boolean;
  /** How long a worker may parse one batch (default PARSE_BUDGET_MS). */
  parseBudgetMs?: number;
  /** Files a cold load's model takes at once while the others are still parsed (default EARLY_BATCH). */
  earlyBatch?: number;
}

export interface Loader {
  /** Loads a whole revision: a desired state, or every error and no state. */
  load(snapshot: Snapshot): Promise<LoadResult>;
  /**
   * Checks a whole revision as load does, with the same errors, but builds no desired state: no resource is
   * normalized or hashed, which is most of what a load does per document besides parsing and checking.
   * A later load on the same loader builds what it needs.
   */
  check(snapshot: Snapshot): Promise<CheckResult>;
}

const YAML_FILE = /\.ya?ml$/i;
/** Where the conventional layout keeps an org's Organization: orgs/<org>/organization.yaml. */
const ORG_FILE = /(^|\/)organizations?\.ya?ml$/i;
/** Files a cold model takes at once while the others are parsed. */
const EARLY_BATCH = 256;
const isOrg = (c: { def: { kind: string } }) => c.def.kind === 'Organization';

/** The files a load reads, by path (a snapshot is usually sorted already: then this only checks it). */
function yamlFiles(all: readonly SnapshotFile[]): SnapshotFile[] {
  const files = all.filter((f) => f.symlink || YAML_FILE.test(f.path));
  for (let i = 1; i < files.length; i++) {
    if (files[i - 1]!.path >= files[i]!.path) return files.sort((a, b) => (a.path < b.path ? -1 : 1));
  }
  return files;
}

/** Files added or changed (`added`) and removed or changed (`removed`) between two path-sorted lists. */
function diffFiles(prev: readonly SnapshotFile[], next: readonly SnapshotFile[]): { added: SnapshotFile[]; removed: SnapshotFile[] } {
  const added: SnapshotFile[] = [];
  const removed: SnapshotFile[] = [];
  let i = 0;
  let j = 0;
  while (i < prev.length || j < next.length) {
    const a = prev[i];
    const b = next[j];
    // A source hands out the same entry objects for unchanged trees: most steps end here.
    if (a === b) (i++, j++);
    else if (b === undefined || (a !== undefined && a.path < b.path)) (removed.push(a!), i++);
    else if (a === undefined || b.path < a.path) (added.push(b), j++);
    else {
      if (a.oid !== b.oid || a.symlink !== b.symlink) (removed.push(a), added.push(b));
      i++;
      j++;
    }
  }
  return { added, removed };
}

/**
 * Reads blobs, and a read that fails (an object a partial or shallow clone lacks, a corrupt pack) names the files
 * that hold the blob: the source knows only its id, and the user looks for a file.
 */
function readNaming(snapshot: Snapshot, pathsOf: ReadonlyMap<string, string[]>): (oid: string) => Promise<Uint8Array> {
  return (oid) => snapshot.readBlob(oid).catch((err: unknown) => {
    const paths = pathsOf.get(oid) ?? [];
    if (err instanceof Error && paths.length) err.message = `${paths[0]}${paths.length > 1 ? ` (and ${paths.length - 1} more)` : ''}: ${err.message}`;
    throw err;
  });
}

function linkUnit(path: string): FileUnit {
  // A link's target may leave the repo or the revision; only committed documents are desired state.
  const message = 'a symbolic link: Kradle reads regular files and directories only; commit the documents themselves';
  return { errors: [{ path, line: 1, column: 1, code: 'SYMLINK_NOT_SUPPORTED', message }], warnings: [], candidates: [], ghosts: [], broken: [], documents: 0, source: { docs: [], errors: [] } };
}

/**
 * A loader keeps the last revision it loaded as a model (revision-model.ts): a new revision is compared file by
 * file with it, only new blobs are parsed, only changed files classified, and only what the changes reach is
 * checked again. Units a load replaced are kept for two more loads, so a diff alternating between base and
 * head re-classifies nothing.
 */
export function createLoader(deps: LoaderDeps = {}): Loader {
  const validator = deps.validator ?? createSchemaValidator();
  const concurrency = deps.readConcurrency ?? 32;
  const parallelFrom = deps.parallelFrom ?? 500;
  const earlyBatch = Math.max(1, deps.earlyBatch ?? EARLY_BATCH);
  let model = createRevisionModel();
  const retired = createRetiredUnits();
  /** Parsed blobs of the model's files, by blob id, with how many paths hold each. */
  const blobs = new Map<string, { file: ParsedFile; paths: number }>();
  /** The snapshot the model holds, and its YAML files when they were listed (else listed when needed). */
  let last: Snapshot | undefined;
  let known: readonly SnapshotFile[] | undefined = [];
  /** Paths whose parse was stopped (time budget): the next load parses them again. */
  let retry = new Set<string>();

  /** Parses `oids`; `onParsed` gets each new file as a worker returns it, to start on it meanwhile. */
  async function parseAll(oids: string[], snapshot: Snapshot, read: (oid: string) => Promise<Uint8Array>, stats: LoadStats,
    specJson: boolean, onParsed: (oid: string, file: ParsedFile) => void): Promise<ParsedFile[]> {
    const poolOptions = { mainThread: deps.parseOnMainThread, budgetMs: deps.parseBudgetMs };
    // Workers validate too when the validator is the default one, which they can make alike.
    const schemas = deps.validator ? undefined : DEFAULT_SCHEMA_DIRS;
    // A blob the snapshot can read again at once is not kept: an error's positions read it then.
    const readSync = snapshot.readBlobSync;
    const onFile = (i: number, file: ParsedFile) => onParsed(oids[i]!, file);
    let pool = oids.length >= parallelFrom ? startParsePool(poolOptions) : undefined;
    const objects = pool && readSync ? snapshot.sharedObjects : undefined;
    if (pool && objects) {
      // The workers read the blobs themselves: the main thread reads none unless a worker cannot.
      const parsed = await pool.parse({ oids, objects, read, readSync, schemas, specJson }, onFile, (i) => sourceFromBlob(readSync!, oids[i]!));
      stats.parsedOnWorkers = parsed.onWorkers;
      return parsed.files;
    }
    let bytes: Uint8Array[];
    try {
      bytes = await readAll(oids, read);
    } catch (err) {
      await pool?.close();
      throw err;
    }
    // A big file is parsed on a worker however few files changed: the API and the event loop stay responsive.
    if (!pool && bytes.some((b) => b.byteLength >= WORKER_ONLY_BYTES)) pool = startParsePool(poolOptions);
    const source = (i: number) => (readSync ? sourceFromBlob(readSync, oids[i]!) : sourceOf(bytes[i]!));
    const parsed = pool
      ? await pool.parse({ oids, bytes, read, schemas, specJson }, onFile, source)
      : { files: bytes.map((b, i) => withPositions(parseBytes(b), source(i))), onWorkers: 0 };
    stats.parsedOnWorkers = parsed.onWorkers;
    return parsed.files;
  }

  async function readAll(oids: string[], read: (oid: string) => Promise<Uint8Array>): Promise<Uint8Array[]> {
    const out: Uint8Array[] = new Array(oids.length);
    let next = 0;
    const reader = async () => {
      while (next < oids.length) {
        const i = next++;
        out[i] = await read(oids[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, oids.length) }, reader));
    return out;
  }

  const hold = (oid: string, file: ParsedFile) => {
    const e = blobs.get(oid);
    if (e) e.paths++;
    else if (!file.stopped) blobs.set(oid, { file, paths: 1 });
  };
  const release = (oid: string) => {
    const e = blobs.get(oid);
    if (e && --e.paths === 0) blobs.delete(oid);
  };

  /**
   * What changed since the model's snapshot: compared tree by tree when the source can, else file by file.
   * `files` is the new listing when one was made (the model takes it once the load succeeds).
   */
  function changesFrom(snapshot: Snapshot): { added: SnapshotFile[]; removed: SnapshotFile[]; files?: SnapshotFile[] } {
    const quick = last && retry.size === 0 ? snapshot.changesSince?.(last) : undefined;
    if (quick) {
      const wanted = (f: SnapshotFile) => f.symlink || YAML_FILE.test(f.path);
      return { added: quick.added.filter(wanted), removed: quick.removed.filter(wanted) };
    }
    const files = yamlFiles(snapshot.files);
    const diff = diffFiles(known ?? (last ? yamlFiles(last.files) : []), files);
    for (const f of files) if (retry.has(f.path) && !diff.added.includes(f)) (diff.removed.push(f), diff.added.push(f));
    return { ...diff, files };
  }

  /** Moves the model to the snapshot's revision; `build`: the desired state is wanted (see Loader.check). */
  async function load(snapshot: Snapshot, build: true): Promise<LoadResult>;
  async function load(snapshot: Snapshot, build: false): Promise<CheckResult>;
  async function load(snapshot: Snapshot, build: boolean): Promise<LoadResult | CheckResult> {
    const started = performance.now();
    const stats: LoadStats = { files: 0, documents: 0, parsedFiles: 0, cachedFiles: 0, durationMs: 0 };
    const { added, removed, files } = changesFrom(snapshot);
    // What neither a unit kept from an earlier load nor a parsed blob answers is read and parsed.
    const reused = new Map<string, FileUnit>();
    const wanted = new Map<string, string[]>();
    for (const f of added) {
      if (f.symlink) continue;
      const unit = retired.get(f.path, f.oid);
      if (unit) reused.set(f.path, unit);
      else if (!blobs.has(f.oid)) wanted.set(f.oid, [...(wanted.get(f.oid) ?? []), f.path]);
    }
    // Organizations first, by the conventional layout's file name: every org that arrives later makes the model
    // look again at every document placed so far, and documents of an org not yet known wait for it.
    const oids = [...wanted.keys()];
    const orgFiles = new Set(oids.filter((oid) => wanted.get(oid)!.some((p) => ORG_FILE.test(p))));
    if (orgFiles.size) oids.splice(0, oids.length, ...orgFiles, ...oids.filter((oid) => !orgFiles.has(oid)));
    // Files are classified as workers return them, while the others are still being parsed. A cold model also
    // takes those it can place already, a batch at a time (placing, duplicates, the state's resources), so less
    // is left for the main thread alone after the last parse; references are checked once, at the end.
    const early = new Map<string, FileUnit>();
    const filesBefore = model.files;
    const intoModel = filesBefore === 0 && removed.length === 0;
    const appliedEarly = new Set<string>();
    let batch: FileChange[] = [];
    /** Files whose org has not come yet: taken once it has, else at the end. */
    let waiting: FileChange[] = [];
    let earlyFailed: { err: unknown } | undefined;
    const applyBatch = (orgs: boolean) => {
      const changes = batch;
      batch = [];
      if (earlyFailed) return;
      try {
        for (const c of changes) appliedEarly.add(c.path);
        model.apply(changes, { check: false, build });
        if (!orgs) return;
        const still: FileChange[] = [];
        for (const c of waiting) (model.placeable(c.unit!) ? batch : still).push(c);
        waiting = still;
        if (batch.length) applyBatch(false);
      } catch (err) {
        earlyFailed = { err };
      }
    };
    const parsedNow = new Map<string, ParsedFile>();
    let parsed: ParsedFile[];
    try {
      parsed = await parseAll(oids, snapshot, readNaming(snapshot, wanted), stats, build, (oid, file) => {
        for (const path of wanted.get(oid)!) {
          const unit = classifyFile(path, file, validator);
          early.set(path, unit);
          if (!intoModel || unit.source.stopped) continue;
          if (!model.placeable(unit)) {
            waiting.push({ path, unit });
            continue;
          }
          // An org at once: the files that name it can be placed from then on.
          const orgs = unit.candidates.some(isOrg);
          if (batch.push({ path, unit }) >= earlyBatch || orgs) applyBatch(orgs);
        }
      });
      if (earlyFailed) throw earlyFailed.err;
    } catch (err) {
      // A model that took part of a revision would answer the next load wrongly: that one starts cold.
      if (appliedEarly.size) (model = createRevisionModel()), (known = []), (last = undefined), blobs.clear();
      throw err;
    }
    oids.forEach((oid, i) => parsedNow.set(oid, parsed[i]!));
    stats.parsedFiles = oids.length;
    stats.cachedFiles = filesBefore + added.length - removed.length - oids.length;

    const changes = new Map<string, FileChange>();
    const stopped = new Set<string>();
    for (const f of removed) {
      const old = model.unitOf(f.path);
      if (old && !f.symlink && !old.source.stopped) retired.retire(f.path, f.oid, old);
      changes.set(f.path, { path: f.path, unit: null });
    }
    for (const f of added) {
      if (f.symlink) {
        changes.set(f.path, { path: f.path, unit: linkUnit(f.path) });
        continue;
      }
      const file = parsedNow.get(f.oid) ?? blobs.get(f.oid)?.file;
      const unit = reused.get(f.path) ?? early.get(f.path) ?? classifyFile(f.path, file!, validator);
      hold(f.oid, unit.source);
      // A parse stopped by the time budget (a machine loaded far past its cores) is not kept: the next load tries again.
      if (unit.source.stopped) stopped.add(f.path);
      if (!appliedEarly.has(f.path)) changes.set(f.path, { path: f.path, unit });
    }
    // Released after the new files took theirs: a renamed file keeps its parse.
    for (const f of removed) if (!f.symlink) release(f.oid);
    try {
      model.apply([...changes.values()]);
    } catch (err) {
      // A model left half-moved would answer later loads wrongly: the next load starts cold.
      (model = createRevisionModel()), (known = []), (last = undefined), blobs.clear();
      throw err;
    }
    retired.rotate();
    last = snapshot;
    known = files;
    retry = stopped;
    stats.files = model.files;
    stats.documents = model.documents;
    stats.checkedDocuments = model.checked;
    const errors = model.errors();
    const warnings = model.warnings();
    const finish = () => ((stats.durationMs = performance.now() - started), stats);
    if (errors) return { ok: false, revision: snapshot.revision, errors, warnings, stats: finish() };
    if (!build) return { ok: true, ...model.summary(snapshot.revision), warnings, stats: finish() };
    return { ok: true, state: model.state(snapshot.revision), warnings, stats: finish() };
  }

  // One load at a time: each moves the model from the revision before it.
  let tail: Promise<unknown> = Promise.resolve();
  const queued = <T>(run: () => Promise<T>): Promise<T> => {
    const next = tail.then(run);
    tail = next.catch(() => {});
    return next;
  };
  return {
    load: (snapshot) => queued(() => load(snapshot, true)),
    check: (snapshot) => queued(() => load(snapshot, false)),
  };
}
