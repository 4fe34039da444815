import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { parseBytes, textOf, withPositions, type ParsedFile, type RawParsedFile } from './parse.ts';
import type { ParseReply, ParseRequest } from './parse-worker.ts';

const WORKER_URL = new URL('./parse-worker.mjs', import.meta.url);
// ~40 ms of parsing: small enough that the main thread answers worker replies promptly.
const BATCH = 64;

export interface ParallelParse {
  files: ParsedFile[];
  /** How many of them a worker parsed. */
  onWorkers: number;
}

export interface ParallelOptions {
  workers?: number;
  /** False leaves every batch to the workers (tests use it to check what workers return). */
  mainThread?: boolean;
}

/** A batch's blobs copied into one buffer that is transferred, not cloned; the worker decodes them. */
function packBatch(blobs: Uint8Array[], id: number): { req: ParseRequest; transfer: ArrayBuffer[] } {
  const slice = blobs.slice(id, id + BATCH);
  const bytes = new Uint8Array(slice.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of slice) (bytes.set(b, at), (at += b.byteLength));
  return { req: { id, bytes, lengths: slice.map((b) => b.byteLength) }, transfer: [bytes.buffer] };
}

/**
 * Parses many files on every core: worker threads and the main thread take batches from one queue,
 * so a slow worker start (loading tsx and yaml takes ~300 ms) costs nothing but its share. Start the
 * pool before reading the blobs so the workers boot meanwhile. Workers live for one load: a cold
 * load is rare, and idle threads would hold memory.
 */
export function startParsePool(opts: ParallelOptions = {}) {
  const workers = Math.max(1, opts.workers ?? Math.min(3, availableParallelism() - 1));
  let blobs: Uint8Array[] = [];
  let onWorkers = 0;
  let out: (RawParsedFile | null | undefined)[] = [];
  const batches: number[] = [];
  let outstanding = 0;
  let alive = workers;
  let wake = () => {};
  const idle = new Set<() => void>();
  const start = (): Worker => {
    const w = new Worker(WORKER_URL);
    // Two batches in flight: the worker starts the next one while the main thread, busy with its
    // own batch, has not yet read the reply to the last one.
    const inFlight = new Set<number>();
    const next = () => {
      const id = batches.shift();
      if (id === undefined) return void idle.add(next);
      inFlight.add(id);
      outstanding++;
      const { req, transfer } = packBatch(blobs, id);
      w.postMessage(req, transfer);
    };
    w.on('message', (reply: ParseReply) => {
      reply.files.forEach((f, j) => (out[reply.id + j] = f));
      onWorkers += reply.files.filter(Boolean).length;
      inFlight.delete(reply.id);
      outstanding--;
      next();
      wake();
    });
    // A worker that cannot start or dies leaves its batches undone: the main thread parses them below.
    let dead = false;
    const lost = () => {
      if (dead) return;
      dead = true;
      alive--;
      idle.delete(next);
      outstanding -= inFlight.size;
      inFlight.clear();
      wake();
    };
    w.once('error', lost);
    w.once('exit', lost);
    w.once('online', () => (next(), next()));
    return w;
  };
  const pool = Array.from({ length: workers }, start);
  const close = () => Promise.all(pool.map((w) => w.terminate())).then(() => {});

  async function parse(files: Uint8Array[]): Promise<ParallelParse> {
    blobs = files;
    out = new Array(files.length);
    for (let i = 0; i < files.length; i += BATCH) batches.push(i);
    for (const next of [...idle, ...idle]) (idle.delete(next), next());
    try {
      for (let b = opts.mainThread === false ? undefined : batches.shift(); b !== undefined; b = batches.shift()) {
        for (let i = b; i < Math.min(b + BATCH, files.length); i++) out[i] = parseBytes(files[i]!);
        await yieldToEvents();
      }
      while (outstanding > 0 || (batches.length > 0 && alive > 0)) await new Promise<void>((resolve) => (wake = resolve));
    } finally {
      await close();
    }
    // A file a worker did not finish, or whose parse threw there (null), is parsed here and throws here.
    // Positions, when an error needs them, come from parsing the blob again (kept as bytes, off the JS heap).
    return { files: Array.from(files, (b, i) => withPositions(out[i] ?? parseBytes(b), () => textOf(b))), onWorkers };
  }

  return { parse, close };
}
