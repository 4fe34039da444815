import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { parseBytes, sourceOf, withPositions, type ParsedFile, type RawParsedFile } from './parse.ts';
import type { ParseReply, ParseRequest } from './parse-worker.ts';

const WORKER_URL = new URL('./parse-worker.mjs', import.meta.url);
// ~40 ms of parsing: small enough that the main thread answers worker replies promptly.
const BATCH = 64;
/**
 * A file this large is parsed on a worker only, alone in its batch: parsing it on the main thread could
 * hold the API and the event loop for most of a second (a document may hold up to LIMITS.documentChars).
 */
export const WORKER_ONLY_BYTES = 64 * 1024;
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
   * True: the main thread parses batches too. By default it leaves them to the workers (one per core) and
   * spends its time on what they return, as it arrives.
   */
  mainThread?: boolean;
  /** Default PARSE_BUDGET_MS. */
  budgetMs?: number;
}

/** Indexes of the files of one batch; `alone` is a worker-only file. */
interface Batch {
  id: number;
  files: number[];
  alone: boolean;
}

/** A batch's blobs copied into one buffer that is transferred, not cloned; the worker decodes them. */
function packBatch(blobs: Uint8Array[], batch: Batch): { req: ParseRequest; transfer: ArrayBuffer[] } {
  const slice = batch.files.map((i) => blobs[i]!);
  const bytes = new Uint8Array(slice.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of slice) (bytes.set(b, at), (at += b.byteLength));
  const eager = batch.alone ? [0] : [];
  return { req: { id: batch.id, bytes, lengths: slice.map((b) => b.byteLength), eager }, transfer: [bytes.buffer] };
}

function overBudget(ms: number): RawParsedFile {
  const message = `parsing the file took over ${ms / 1000} s and was stopped: split it into smaller files`;
  return { docs: [], errors: [{ code: 'LIMIT_EXCEEDED', line: 1, column: 1, message }], stopped: true };
}

/** Splits files into batches: big ones alone (workers only), the others BATCH at a time. */
function batchesOf(files: Uint8Array[]): { shared: Batch[]; workerOnly: Batch[] } {
  const shared: Batch[] = [];
  const workerOnly: Batch[] = [];
  let small: number[] = [];
  files.forEach((b, i) => {
    if (b.byteLength >= WORKER_ONLY_BYTES) workerOnly.push({ id: shared.length + workerOnly.length, files: [i], alone: true });
    else if (small.push(i) === BATCH) (shared.push({ id: shared.length + workerOnly.length, files: small, alone: false }), (small = []));
  });
  if (small.length) shared.push({ id: shared.length + workerOnly.length, files: small, alone: false });
  return { shared, workerOnly };
}

/**
 * Parses many files on every core: worker threads (and the main thread, when asked) take batches from one
 * queue, so a slow worker start (loading tsx and yaml takes ~300 ms) costs nothing but its share. Big files
 * go to workers only. A worker that spends longer than the budget on a batch is stopped and replaced;
 * a big file it held gets a LIMIT_EXCEEDED error. Start the pool before reading the blobs so the workers
 * boot meanwhile. Workers live for one load: a cold load is rare, and idle threads would hold memory.
 */
export function startParsePool(opts: ParallelOptions = {}) {
  const budget = opts.budgetMs ?? PARSE_BUDGET_MS;
  const mainThread = opts.mainThread === true;
  let blobs: Uint8Array[] = [];
  let deliver: (i: number, file: ParsedFile) => void = () => {};
  let sourceFor: (i: number) => () => string = (i) => sourceOf(blobs[i]!);
  const settle = (i: number, raw: RawParsedFile | null | undefined) => {
    out[i] = raw;
    if (raw) deliver(i, withPositions(raw, sourceFor(i)));
  };
  let onWorkers = 0;
  let out: (RawParsedFile | null | undefined)[] = [];
  let queues: { shared: Batch[]; workerOnly: Batch[] } = { shared: [], workerOnly: [] };
  let outstanding = 0;
  let alive = 0;
  let closed = false;
  let wake = () => {};
  const idle = new Set<() => void>();
  const pool = new Set<Worker>();
  const start = (): void => {
    const w = new Worker(WORKER_URL);
    pool.add(w);
    alive++;
    // Two batches in flight: the worker starts the next one while the main thread, busy with its
    // own batch, has not yet read the reply to the last one. The worker answers them in order.
    const inFlight: Batch[] = [];
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = inFlight.length ? setTimeout(overrun, budget) : undefined;
    };
    const next = () => {
      const batch = queues.workerOnly.shift() ?? queues.shared.shift();
      if (batch === undefined) return void idle.add(next);
      inFlight.push(batch);
      outstanding++;
      const { req, transfer } = packBatch(blobs, batch);
      w.postMessage(req, transfer);
      if (inFlight.length === 1) arm();
    };
    w.on('message', (reply: ParseReply) => {
      const batch = inFlight.shift()!;
      onWorkers += reply.files.filter(Boolean).length;
      outstanding--;
      reply.files.forEach((f, j) => settle(batch.files[j]!, f));
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
      idle.delete(next);
      outstanding -= inFlight.length;
      for (const b of inFlight.splice(0).reverse()) (b.alone ? queues.workerOnly : queues.shared).unshift(b);
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
    w.once('online', () => (next(), next()));
  };
  const count = Math.max(1, opts.workers ?? (mainThread ? Math.min(3, availableParallelism() - 1) : Math.min(4, availableParallelism())));
  for (let i = 0; i < count; i++) start();
  const close = () => ((closed = true), Promise.all([...pool].map((w) => w.terminate())).then(() => {}));

  /** Parses `files`; `onFile` gets each as it is parsed, and the result has them all in order. */
  /** `source(i)`, when given, is how file i finds its text again for positions (else it keeps its bytes). */
  async function parse(files: Uint8Array[], onFile: (i: number, file: ParsedFile) => void = () => {},
    source?: (i: number) => () => string): Promise<ParallelParse> {
    blobs = files;
    if (source) sourceFor = source;
    out = new Array(files.length);
    const done: ParsedFile[] = new Array(files.length);
    deliver = (i, file) => ((done[i] = file), onFile(i, file));
    queues = batchesOf(files);
    for (const next of [...idle, ...idle]) (idle.delete(next), next());
    try {
      for (let b = mainThread ? queues.shared.shift() : undefined; b !== undefined; b = queues.shared.shift()) {
        for (const i of b.files) settle(i, parseBytes(files[i]!));
        await yieldToEvents();
      }
      const pending = () => queues.shared.length + queues.workerOnly.length > 0;
      while (outstanding > 0 || (pending() && alive > 0)) await new Promise<void>((resolve) => (wake = resolve));
    } finally {
      await close();
    }
    // A file a worker did not finish, or whose parse threw there (null), is parsed here and throws here.
    // Positions, when an error needs them, come from parsing the blob again (kept as bytes, off the JS heap).
    files.forEach((b, i) => out[i] ?? settle(i, parseBytes(b)));
    return { files: done, onWorkers };
  }

  return { parse, close };
}
