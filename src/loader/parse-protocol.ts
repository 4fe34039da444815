import type { SchemaDirs } from '../schema/validator.ts';
import type { SharedObjects } from '../source/shared-objects.ts';
import type { SnapshotFile } from '../source/types.ts';
import type { RawParsedFile } from './parse.ts';

// What the parse pool (main thread) and a parse worker say to each other.

/**
 * A file this large is parsed on a worker only, alone in its batch, with its positions and spec JSON made there
 * (`eager`): parsing it on the main thread could hold the API and the event loop for most of a second.
 */
export const WORKER_ONLY_BYTES = 64 * 1024;

/**
 * With every request when the loader validates with the default validator: the worker then validates each
 * document it parsed against its kind's schema and marks those that pass (RawDoc.valid, with their unknown spec
 * fields in RawDoc.unknown), so the main thread validates only the others (which gives their errors and warnings
 * as it always did).
 */
interface Validating {
  schemas?: SchemaDirs;
  /** Whether to make each document's spec JSON and headJson (ParseOptions.specJson). */
  specJson: boolean;
}

/** Files named by blob id: the worker reads them itself (`objects` comes with a worker's first such request). */
export interface ReadRequest extends Validating {
  id: number;
  oids: string[];
  objects?: SharedObjects;
  /** The batch is one file that was found too big to share a batch. */
  alone: boolean;
}

/** Files as bytes (ones a worker could not read), in one transferred buffer: file i is the next `lengths[i]` bytes. */
export interface BytesRequest extends Validating {
  id: number;
  bytes: Uint8Array;
  lengths: number[];
}

export type ParseRequest = ReadRequest | BytesRequest;

/**
 * Work a worker takes once it has no parse batch left (parse-pool.ts runOnIdleParseWorker): the YAML files of a
 * working tree that differ from a commit (source/worktree-changes.ts). `committed` is each file's path and blob
 * id, all NUL-separated: one string crosses threads as one copy, where 10,000 objects are cloned one by one.
 */
export interface ChangesTask {
  task: number;
  dir: string;
  path?: string;
  committed: string;
}

/** Files as ChangesTask.committed carries them (a path holds no NUL). */
export function packFiles(files: readonly SnapshotFile[]): string {
  return files.map((f) => `${f.path}\0${f.oid}`).join('\0');
}

export function unpackFiles(packed: string): SnapshotFile[] {
  if (packed === '') return [];
  const parts = packed.split('\0');
  const out: SnapshotFile[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push({ path: parts[i]!, oid: parts[i + 1]! });
  return out;
}

/** The task's answer: the changed paths, or why it failed (the main thread then runs it itself). */
export interface ChangesReply {
  task: number;
  changed?: string[];
  error?: string;
}

/**
 * Per file: its parse; `null` when the parse threw (the main thread parses it again, so the error is its own);
 * UNREAD when the worker could not read the blob (the main thread reads it); BIG when it is too big to be parsed
 * in a shared batch (it comes back alone).
 */
export const UNREAD = 0;
export const BIG = 1;
export type FileReply = RawParsedFile | null | typeof UNREAD | typeof BIG;

export type WorkerRequest = ParseRequest | ChangesTask;

export interface ParseReply {
  id: number;
  files: FileReply[];
}
