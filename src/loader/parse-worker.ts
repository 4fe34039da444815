// A parse worker: YAML bytes in, plain values and document starts out (no Document trees); for the big
// files a request names, also what the main thread would otherwise spend long on (positions, spec JSON).
import { parentPort } from 'node:worker_threads';
import { parseBytes, type RawParsedFile } from './parse.ts';

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
      return parseBytes(bytes, { eager: req.eager.includes(i) });
    } catch {
      return null;
    }
  });
  parentPort!.postMessage({ id: req.id, files } satisfies ParseReply);
});
