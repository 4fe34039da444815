// A parse worker: YAML bytes in, plain values and document starts out (no Document trees), with each
// document's schema issues and spec JSON; for the big files a request names, also their positions.
import { parentPort } from 'node:worker_threads';
import { createSchemaValidator } from '../schema/index.ts';
import { schemaIssuesAhead } from './classify.ts';
import { parseBytes, specJsonOf, type RawParsedFile } from './parse.ts';

const validator = createSchemaValidator();

/** Parses a file and does ahead what the main thread would do next per document: schema and spec JSON. */
function parseAhead(bytes: Uint8Array, eager: boolean, schemaAhead: boolean): RawParsedFile {
  const file = parseBytes(bytes, { eager });
  for (const doc of file.docs) {
    if (schemaAhead) doc.schema = schemaIssuesAhead(doc.value, validator);
    doc.specJson ??= specJsonOf(doc.value);
  }
  return file;
}

/** A batch of files as one transferred buffer: file i is the next `lengths[i]` bytes. */
export interface ParseRequest {
  id: number;
  bytes: Uint8Array;
  lengths: number[];
  /** Parse these files `eager` (indexes into `lengths`): see RawParsedFile. */
  eager: number[];
  /** Validate documents against the default schemas here (see classify.ts schemaIssuesAhead). */
  schemaAhead: boolean;
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
      return parseAhead(bytes, req.eager.includes(i), req.schemaAhead);
    } catch {
      return null;
    }
  });
  parentPort!.postMessage({ id: req.id, files } satisfies ParseReply);
});
