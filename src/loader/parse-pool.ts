import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { parseYamlFile, type ParsedFile } from './parse.ts';
import type { ParseReply, ParseRequest } from './parse-worker.ts';

const WORKER_URL = new URL('./parse-worker.mjs', import.meta.url);
// ~40 ms of parsing: small enough that the main thread answers worker replies promptly.
const BATCH = 64;

/**
 * Parses many files on every core: worker threads and the main thread take batches from one queue,
 * so a slow worker start (loading tsx and yaml takes a few hundred ms) costs nothing but its share.
 * The workers live for one call: a cold load is rare, and idle threads would hold memory.
 */
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

export async function parseInParallel(texts: string[], opts: ParallelOptions = {}): Promise<ParallelParse> {
  const workers = Math.max(1, opts.workers ?? Math.min(3, availableParallelism() - 1));
  let onWorkers = 0;
  const out: (ParsedFile | null | undefined)[] = new Array(texts.length);
  const batches: number[] = [];
  for (let i = 0; i < texts.length; i += BATCH) batches.push(i);
  let outstanding = 0;
  let alive = workers;
  let wake = () => {};
  const start = (): Worker => {
    const w = new Worker(WORKER_URL);
    let current: number | undefined;
    const next = () => {
      current = batches.shift();
      if (current === undefined) return;
      outstanding++;
      w.postMessage({ id: current, texts: texts.slice(current, current + BATCH) } satisfies ParseRequest);
    };
    w.on('message', (reply: ParseReply) => {
      reply.files.forEach((f, j) => (out[reply.id + j] = f));
      onWorkers += reply.files.filter(Boolean).length;
      outstanding--;
      next();
      wake();
    });
    // A worker that cannot start or dies leaves its batch undone: the main thread parses it below.
    let dead = false;
    const lost = () => {
      if (dead) return;
      dead = true;
      alive--;
      if (current !== undefined) outstanding--;
      current = undefined;
      wake();
    };
    w.once('error', lost);
    w.once('exit', lost);
    w.once('online', next);
    return w;
  };
  const pool = Array.from({ length: workers }, start);
  try {
    for (let b = opts.mainThread === false ? undefined : batches.shift(); b !== undefined; b = batches.shift()) {
      for (let i = b; i < Math.min(b + BATCH, texts.length); i++) out[i] = parseYamlFile(texts[i]!);
      await yieldToEvents();
    }
    while (outstanding > 0 || (batches.length > 0 && alive > 0)) await new Promise<void>((resolve) => (wake = resolve));
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  // A file a worker did not finish, or whose parse threw there (null), is parsed here and throws here.
  return { files: Array.from(texts, (text, i) => out[i] ?? parseYamlFile(text)), onWorkers };
}
