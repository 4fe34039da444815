// A parse worker: YAML bytes in, plain values and document starts out (no Document trees), with each
// document's spec JSON (for its content hash); for the big files a request names, also their positions.
import { parentPort } from 'node:worker_threads';
import { parseBytes, specJsonOf, type RawParsedFile } from './parse.ts';

// Schema validation stays on the main thread: ajv is nearly free there, while loading the kinds and
// compiling their schemas in every worker would cost each one more than it saves.
function parseAhead(bytes: Uint8Array, eager: boolean): RawParsedFile {
  const file = parseBytes(bytes, { eager });
  for (const doc of file.docs) doc.specJson ??= specJsonOf(doc.value);
  return file;
}

/** A batch of files as one transferred buffer: file i is the next `lengths[i]` bytes. */
export interface ParseRequest {
  id: number;
  bytes: Uint8Array;
  lengths: number[];
  /** Parse these files `eager` (indexes into `lengths`): see RawParsedFile. */
  eager: number[];
}

/** `null` for a file whose parse threw: the main thread parses it again, so the error is its own. */
export interface ParseReply {
  id: number;
  files: (RawParsedFile | null)[];
}

parentPort!.on('message', (req: ParseRequest) => {
  let at = 0;
  const files = req.lengths.map((n, i) => {
    const bytes = req.bytes.subarray(at, (at += n));
    try {
      return parseAhead(bytes, req.eager.includes(i));
    } catch {
      return null;
    }
  });
  parentPort!.postMessage({ id: req.id, files } satisfies ParseReply);
});
