// A parse worker: blob ids in (it reads and inflates the blobs itself) or YAML bytes, plain values and document
// starts out (no Document trees), with each document's spec JSON (for its content hash); for big files also their
// positions. Started from a bundle of this file (worker-script.ts), so it must not import what it does not use.
import { parentPort } from 'node:worker_threads';
// The module itself, not source/index.ts: that one would bring isomorphic-git into the bundle.
import { openSharedObjects } from '../source/shared-objects.ts';
import { changedFromCommit } from '../source/worktree-changes.ts';
import { createSchemaValidator, type SchemaDirs, type SchemaValidator } from '../schema/validator.ts';
import { parseBytes, type RawParsedFile } from './parse.ts';
import { BIG, unpackFiles, UNREAD, WORKER_ONLY_BYTES, type ChangesReply, type FileReply, type ParseReply, type WorkerRequest } from './parse-protocol.ts';

function parseAhead(bytes: Uint8Array, specJson: boolean): FileReply {
  try {
    return validated(parseBytes(bytes, { eager: bytes.byteLength >= WORKER_ONLY_BYTES, specJson }));
  } catch {
    return null;
  }
}

// Schema validation here takes it off the main thread, the busier one in a parallel load. Only a pass is sent
// (a flag), with the spec fields the schema does not list when there are some (the same call the main thread
// makes, so its warnings are the same); a document that fails, or one this worker could not validate, is validated
// on the main thread, which makes its errors and finds its unknown fields there as before.
let validator: SchemaValidator | undefined;
let validatorOf: string | undefined;

function useSchemas(dirs: SchemaDirs | undefined): void {
  const key = dirs && JSON.stringify(dirs);
  if (key === validatorOf) return;
  validatorOf = key;
  validator = dirs && createSchemaValidator(dirs.schemaDir, dirs.precompiledDir);
}

function validated(file: RawParsedFile): RawParsedFile {
  if (!validator) return file;
  for (const d of file.docs) {
    try {
      if (validator.validate(d.value).length > 0) continue;
      const unknown = validator.unknownFields(d.value);
      d.valid = true;
      if (unknown.length) d.unknown = unknown;
    } catch {
      // Not this worker's to report: the main thread validates the document.
    }
  }
  return file;
}

let read: ((oid: string) => Uint8Array | undefined) | undefined;

parentPort!.on('message', (req: WorkerRequest) => {
  if ('task' in req) {
    // Asynchronous (it reads files): a batch that comes meanwhile is answered on its own, in its order.
    void changedFromCommit(req.dir, req.path, unpackFiles(req.committed)).then(
      (changed) => parentPort!.postMessage({ task: req.task, changed } satisfies ChangesReply),
      (err: unknown) => parentPort!.postMessage({ task: req.task, error: String(err) } satisfies ChangesReply),
    );
    return;
  }
  let files: FileReply[];
  useSchemas(req.schemas);
  if ('oids' in req) {
    if (req.objects) read = openSharedObjects(req.objects);
    files = req.oids.map((oid) => {
      const bytes = read?.(oid);
      if (bytes === undefined) return UNREAD;
      return !req.alone && bytes.byteLength >= WORKER_ONLY_BYTES ? BIG : parseAhead(bytes, req.specJson);
    });
  } else {
    let at = 0;
    files = req.lengths.map((n) => parseAhead(req.bytes.subarray(at, (at += n)), req.specJson));
  }
  parentPort!.postMessage({ id: req.id, files } satisfies ParseReply);
});
