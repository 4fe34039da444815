import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import type { SchemaDirs } from '../schema/validator.ts';
import type { SharedObjects } from '../source/shared-objects.ts';
import type { SnapshotFile } from '../source/types.ts';
import { parseBytes, sourceOf, withPositions, type ParsedFile, type RawParsedFile } from './parse.ts';
import {
  BIG, packFiles, UNREAD, WORKER_ONLY_BYTES, type ChangesReply, type ChangesTask, type FileReply, type ParseReply, type ParseRequest,
} from './parse-protocol.ts';
import { parseWorkerScript, startWorker } from './worker-script.ts';

export { WORKER_ONLY_BYTES };
// ~40 ms of parsing: small enough that the main thread answers worker replies promptly.
const BATCH = 64;
/** Batches a worker is given ahead of its replies. */
const IN_FLIGHT = 12;
// ~10 ms: how long the main thread parses before it looks at events (worker replies, API requests).
const MAIN_SLICE = 16;
/**
 * How long a worker may spend on one batch before it is stopped: a backstop, as the limits keep any file
 * far below it (8 MiB parses in a few seconds), with room for a machine loaded many times over.
 */
export const PARSE_BUDGET_MS = 120_000;

export interface ParallelParse {
  files: ParsedFile[];
  /** How many of them a worker parsed. */
  onWorkers: number;
}

export interface ParallelOptions {
  workers?: number;
  /**
   * By default (true) the main thread parses batches too whenever it would otherwise wait for the workers, next
   * to one worker per other core (at most 3): one worker more would only take turns with it on a core, checking
   * what the workers return. False: the workers parse everything, one per core (at most 4).
   */
  mainThread?: boolean;
  /** Default PARSE_BUDGET_MS. */
  budgetMs?: number;
}

/** The files of one parse, by blob id. */
export interface ParseInput {
  oids: string[];
  /** Their bytes, when the caller read them already; else the workers read them from `objects`. */
  bytes?: Uint8Array[];
  objects?: SharedObjects;
  /** Reads a blob on the main thread: one a worker could not read, or every one when there is no `objects`. */
  read(oid: string): Promise<Uint8Array>;
  /** The same without waiting, when it can (bytes not to be written to): for the batches the main thread parses. */
  readSync?(oid: string): Uint8Array | undefined;
  /** Where the workers find the schemas to validate what they parse (parse-protocol.ts); none: they do not. */
  schemas?: SchemaDirs;
  /** False: the parse makes no spec JSON and headJson (ParseOptions.specJson), as no content hash will be made. */
  specJson?: boolean;
}

/** Indexes of the files of one batch; `alone` is a worker-only file; `read`: the worker reads the blobs. */
interface Batch {
  id: number;
  files: number[];
  alone: boolean;
  read: boolean;
}

function overBudget(ms: number): RawParsedFile {
  const message = `parsing the file took over ${ms / 1000} s and was stopped: split it into smaller files`;
  return { docs: [], errors: [{ code: 'LIMIT_EXCEEDED', line: 1, column: 1, message }], stopped: true };
}

/** Workers started ahead of a parse (prestartParseWorkers), with whether each is online yet. */
const spares: { worker?: Worker; online: boolean }[] = [];

/** Workers a pool starts by default: one per core beside the main thread, at most 3. */
const defaultWorkers = () => Math.max(1, Math.min(3, availableParallelism() - 1));

/**
 * Starts the parse workers of the next pool now, so that they boot (~0.1-0.2 s each on a busy machine) while
 * the caller does its serial work before the load (resolving a revision, listing its files): `kradle validate`
 * calls it first thing. The next startParsePool takes them; until then they keep the process from nothing
 * (unref'd), and one that dies is simply not taken.
 */
export function prestartParseWorkers(n = defaultWorkers()): void {
  for (let i = spares.length; i < n; i++) {
    const spare = { worker: undefined as Worker | undefined, online: false };
    spares.push(spare);
    const drop = () => {
      const at = spares.indexOf(spare);
      if (at !== -1) spares.splice(at, 1);
    };
    void parseWorkerScript().then((script) => {
      const w = startWorker(script);
      spare.worker = w;
      w.unref();
      w.once('online', () => (spare.online = true));
      w.once('error', drop);
      w.once('exit', drop);
    }).catch(drop);
  }
}

/** A started spare worker, taken out of the spares, if there is one. */
function takeSpare(): { worker: Worker; online: boolean } | undefined {
  const at = spares.findIndex((s) => s.worker !== undefined);
  if (at === -1) return undefined;
  const [spare] = spares.splice(at, 1);
  spare!.worker!.ref();
  return spare as { worker: Worker; online: boolean };
}

/** A task waiting for a worker with no batch left, and how it ends: with the worker's answer or run here. */
interface IdleTask {
  task: ChangesTask;
  done(changed: string[]): void;
  runHere(): void;
}
const idleTasks: IdleTask[] = [];
/** Workers of running pools that wait for work: a task offered now goes to the first that looks. */
const waitingWorkers = new Set<() => void>();
let runningPools = 0;
let taskIds = 0;

/**
 * The YAML files of the working tree at `dir` (below `path`) that differ from `committed`, as changedFromCommit
 * (source/worktree-changes.ts) finds them, found on a parse worker once no parse batch is left to give it (it
 * starts after the batches it holds): the main thread finishes the load alone after the last parse, and this way the
 * stat of every file costs it nothing. `here` finds them on this thread instead: at once when no parse worker is
 * running or starting, else when none took the task before the last pool closed or `until` settled (a load that
 * parsed on this thread only), or when its worker failed.
 */
export function changesOnIdleParseWorker(dir: string, path: string | undefined, committed: readonly SnapshotFile[],
  until: Promise<unknown>, here: () => Promise<string[]>): Promise<string[]> {
  if (runningPools === 0 && spares.length === 0) return here();
  return new Promise<string[]>((resolve, reject) => {
    let settled = false;
    const entry: IdleTask = {
      task: { task: taskIds++, dir, ...(path === undefined ? {} : { path }), committed: packFiles(committed) },
      done: (changed) => void (settled || ((settled = true), resolve(changed))),
      runHere: () => void (settled || ((settled = true), here().then(resolve, reject))),
    };
    idleTasks.push(entry);
    for (const look of [...waitingWorkers]) look();
    const untaken = () => {
      const at = idleTasks.indexOf(entry);
      if (at !== -1) (idleTasks.splice(at, 1), entry.runHere());
    };
    until.then(untaken, untaken);
  });
}

/** What became of each file: not yet parsed, parsed, or its parse threw on a worker (parsed here again). */
const PENDING = 0;
const DONE = 1;
const THREW = 2;

/**
 * Parses many files on every core: worker threads (and the main thread, when asked) take batches from one
 * queue, so a slow worker start costs nothing but its share. Workers read the blobs themselves from the
 * repository's shared packs when they can, so the main thread neither inflates nor copies them; what they cannot
 * read, the main thread reads and sends as bytes. Big files go to workers only, alone. A worker that spends
 * longer than the budget on a batch is stopped and replaced; a big file it held gets a LIMIT_EXCEEDED error.
 * Start the pool before listing the files so the workers boot meanwhile. Workers live for one parse: a cold
 * load is rare, and idle threads would hold memory.
 */
export function startParsePool(opts: ParallelOptions = {}) {
  const budget = opts.budgetMs ?? PARSE_BUDGET_MS;
  const mainThread = opts.mainThread !== false;
  let input: ParseInput = { oids: [], read: async () => new Uint8Array() };
  let state = new Uint8Array(0);
  let done: ParsedFile[] = [];
  let deliver: (i: number, file: ParsedFile) => void = () => {};
  let sourceFor: (i: number) => () => string = () => () => '';
  const settle = (i: number, raw: RawParsedFile) => {
    state[i] = DONE;
    const file = withPositions(raw, sourceFor(i));
    done[i] = file;
    deliver(i, file);
  };
  let onWorkers = 0;
  const shared: Batch[] = [];
  const workerOnly: Batch[] = [];
  let batchIds = 0;
  const idle = new Set<() => void>();
  /** Queues a batch, and gives it to a worker that was waiting for one. */
  const queue = (files: number[], alone: boolean, read: boolean) => {
    (alone ? workerOnly : shared).push({ id: batchIds++, files, alone, read });
    for (const next of [...idle]) (idle.delete(next), next());
  };
  let outstanding = 0;
  let alive = 0;
  /** Worker replies so far: the main thread parses only when none came in while it looked at events. */
  let replies = 0;
  let closed = false;
  let wake = () => {};
  let failed: { err: unknown } | undefined;
  const pool = new Set<Worker>();
  /** Each worker's `next`: when this thread takes the last batch, every worker is offered the waiting task. */
  const asks = new Set<() => void>();
  /** Workers running an idle task: close() leaves them to end it. */
  const tasked = new Set<Worker>();
  runningPools++;
  const bytesOf = async (i: number) => input.bytes?.[i] ?? input.read(input.oids[i]!);
  const specJson = () => input.specJson !== false;
  const validating = () => ({ schemas: input.schemas, specJson: specJson() });

  /** A batch of given bytes as one buffer that is transferred, not cloned. */
  async function request(batch: Batch, first: boolean): Promise<{ req: ParseRequest; transfer: ArrayBuffer[] }> {
    if (batch.read) {
      const oids = batch.files.map((i) => input.oids[i]!);
      return { req: { id: batch.id, oids, alone: batch.alone, ...validating(), ...(first ? { objects: input.objects } : {}) }, transfer: [] };
    }
    const slice = await Promise.all(batch.files.map(bytesOf));
    const bytes = new Uint8Array(slice.reduce((n, b) => n + b.byteLength, 0));
    let at = 0;
    for (const b of slice) (bytes.set(b, at), (at += b.byteLength));
    return { req: { id: batch.id, bytes, lengths: slice.map((b) => b.byteLength), ...validating() }, transfer: [bytes.buffer] };
  }

  /** Blobs a worker could not read: read here, then sent as bytes (big ones alone). */
  let unread: number[] = [];
  let reading = 0;
  function readUnread(): void {
    if (unread.length === 0) return;
    const files = unread;
    unread = [];
    reading++;
    void (async () => {
      const small: number[] = [];
      for (const i of files) {
        const b = await bytesOf(i);
        if (b.byteLength >= WORKER_ONLY_BYTES) queue([i], true, false);
        else small.push(i);
      }
      for (let k = 0; k < small.length; k += BATCH) queue(small.slice(k, k + BATCH), false, false);
    })().catch((err: unknown) => (failed ??= { err })).finally(() => {
      reading--;
      for (const next of [...idle]) (idle.delete(next), next());
      wake();
    });
  }

  const start = (): void => {
    alive++;
    // After the script is found: a spare started before this pool has its worker by then.
    void parseWorkerScript().then((script) => {
      if (closed) return void alive--;
      const spare = takeSpare();
      spawn(spare?.worker ?? startWorker(script), spare?.online);
    }, () => (alive--, wake()));
  };
  const spawn = (w: Worker, online = false): void => {
    pool.add(w);
    // IN_FLIGHT batches in flight: the worker goes on parsing while the main thread, busy checking what came back,
    // has not yet read its last replies (with two, a worker sat idle a sixth of a cold load). It answers in order.
    const inFlight: Batch[] = [];
    let first = true;
    let task: IdleTask | undefined;
    let sending = Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = inFlight.length ? setTimeout(overrun, budget) : undefined;
    };
    /** Gives the worker batches until it has IN_FLIGHT; with none left, it waits in `idle` for more. */
    const next = () => {
      idle.delete(next);
      waitingWorkers.delete(next);
      while (inFlight.length < IN_FLIGHT) {
        const batch = workerOnly.shift() ?? shared.shift();
        if (batch === undefined) break;
        inFlight.push(batch);
        outstanding++;
        if (inFlight.length === 1) arm();
        const firstRead = batch.read && first;
        if (firstRead) first = false;
        // In order: the worker answers in the order it is asked, and a batch of bytes may wait for a read.
        sending = sending.then(() => request(batch, firstRead)).then(({ req, transfer }) => w.postMessage(req, transfer), (err: unknown) => {
          failed ??= { err };
          wake();
        });
      }
      if (shared.length + workerOnly.length > 0) return; // its next reply asks for more
      // No batch left to give: it takes a task, if one waits, behind the batches it holds (so it starts on it after
      // its last one, not once this thread, busy with what came back, has read that reply), and goes on taking
      // batches too (a file sent back to be parsed alone).
      if (task === undefined && !closed && idleTasks.length) {
        const t = (task = idleTasks.shift()!);
        tasked.add(w);
        sending = sending.then(() => w.postMessage(t.task));
      }
      idle.add(next);
      if (task === undefined) waitingWorkers.add(next);
    };
    asks.add(next);
    w.on('message', (reply: ParseReply | ChangesReply) => {
      if ('task' in reply) {
        const t = task!;
        task = undefined;
        tasked.delete(w);
        if (reply.changed) t.done(reply.changed);
        else t.runHere();
        if (closed) void w.terminate();
        else next();
        return;
      }
      replies++;
      const batch = inFlight.shift()!;
      outstanding--;
      reply.files.forEach((f: FileReply, j) => {
        const i = batch.files[j]!;
        if (f === UNREAD) unread.push(i);
        else if (f === BIG) queue([i], true, true);
        else if (f === null) state[i] = THREW;
        else (onWorkers++, settle(i, f));
      });
      readUnread();
      arm();
      next();
      wake();
    });
    // A worker that cannot start or dies gives its batches back; the main thread parses what no worker can.
    let dead = false;
    const lost = () => {
      if (dead) return;
      dead = true;
      clearTimeout(timer);
      alive--;
      pool.delete(w);
      asks.delete(next);
      idle.delete(next);
      waitingWorkers.delete(next);
      tasked.delete(w);
      task?.runHere();
      task = undefined;
      outstanding -= inFlight.length;
      for (const b of inFlight.splice(0).reverse()) (b.alone ? workerOnly : shared).unshift(b);
      wake();
    };
    const overrun = () => {
      const batch = inFlight.shift()!;
      outstanding--;
      // A big file is the likely cause; small ones left undone are parsed on the main thread below.
      if (batch.alone) settle(batch.files[0]!, overBudget(budget));
      lost();
      void w.terminate();
      if (!closed) start();
    };
    w.once('error', lost);
    w.once('exit', lost);
    if (online) next();
    else w.once('online', next);
  };
  const count = Math.max(1, opts.workers ?? (mainThread ? defaultWorkers() : Math.min(4, availableParallelism())));
  for (let i = 0; i < count; i++) start();
  const close = () => {
    if (!closed) {
      closed = true;
      for (const look of idle) waitingWorkers.delete(look);
      // No pool left to take them: the tasks run here, now rather than when their `until` settles.
      if (--runningPools === 0) for (const t of idleTasks.splice(0)) t.runHere();
    }
    // A worker busy with a task ends once it answers; the load does not wait for it.
    return Promise.all([...pool].filter((w) => !tasked.has(w)).map((w) => w.terminate())).then(() => {});
  };

  /**
   * Parses the files; `onFile` gets each as it is parsed, and the result has them all in order. `source(i)`,
   * when given, is how file i finds its text again for positions (else it keeps the bytes it was given).
   */
  async function parse(files: ParseInput, onFile: (i: number, file: ParsedFile) => void = () => {},
    source?: (i: number) => () => string): Promise<ParallelParse> {
    input = files;
    const n = files.oids.length;
    sourceFor = source ?? ((i) => sourceOf(files.bytes?.[i] ?? new Uint8Array()));
    state = new Uint8Array(n);
    done = new Array(n);
    deliver = (i, file) => onFile(i, file);
    if (files.bytes) {
      let small: number[] = [];
      files.bytes.forEach((b, i) => {
        if (b.byteLength >= WORKER_ONLY_BYTES) queue([i], true, false);
        else if (small.push(i) === BATCH) (queue(small, false, false), (small = []));
      });
      if (small.length) queue(small, false, false);
    } else {
      const read = files.objects !== undefined;
      for (let k = 0; k < n; k += BATCH) queue(Array.from({ length: Math.min(BATCH, n - k) }, (_, j) => k + j), false, read);
    }
    for (const next of [...idle]) (idle.delete(next), next());
    try {
      // The main thread checks what the workers return, which only it can do, and parses a batch itself only when
      // it would otherwise wait: before a worker has started, or when no reply came in while it looked at events.
      // It answers events (worker replies above all) every MAIN_SLICE files of its own.
      const pending = () => shared.length + workerOnly.length > 0;
      while (!failed && (outstanding > 0 || reading > 0 || (pending() && alive > 0))) {
        if (!mainThread || shared.length === 0) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        const seen = replies;
        await yieldToEvents();
        const b = replies === seen ? shared.shift() : undefined;
        if (b && shared.length + workerOnly.length === 0) for (const ask of [...asks]) ask();
        for (let k = 0; b !== undefined && k < b.files.length; k++) {
          const i = b.files[k]!;
          const bytes = input.bytes?.[i] ?? input.readSync?.(input.oids[i]!) ?? (await input.read(input.oids[i]!));
          if (bytes.byteLength >= WORKER_ONLY_BYTES && alive > 0) queue([i], true, false);
          else settle(i, parseBytes(bytes, { specJson: specJson() }));
          if (k % MAIN_SLICE === MAIN_SLICE - 1) await yieldToEvents();
        }
      }
      if (failed) throw failed.err;
    } finally {
      await close();
    }
    // A file no worker finished, or whose parse threw there, is parsed here and throws here. Positions, when an
    // error needs them, come from parsing the blob again (kept as bytes, off the JS heap).
    for (let i = 0; i < n; i++) if (state[i] !== DONE) settle(i, parseBytes(await bytesOf(i)));
    return { files: done, onWorkers };
  }

  return { parse, close };
}
