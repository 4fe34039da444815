// A parse worker: blob ids in (it reads and inflates the blobs itself) or YAML bytes, plain values and document
// starts out (no Document trees), with each document's spec JSON (for its content hash); for big files also their
// positions. Started from a bundle of this file (worker-script.ts), so it must not import what it does not use.
import { parentPort } from 'node:worker_threads';
// The module itself, not source/index.ts: that one would bring isomorphic-git into the bundle.
import { openSharedObjects } from '../source/shared-objects.ts';
import { parseBytes } from './parse.ts';
import { BIG, UNREAD, WORKER_ONLY_BYTES, type FileReply, type ParseReply, type ParseRequest } from './parse-protocol.ts';

// Schema validation stays on the main thread: ajv is nearly free there, while loading the kinds and
// compiling their schemas in every worker would cost each one more than it saves.
function parseAhead(bytes: Uint8Array): FileReply {
  try {
    return parseBytes(bytes, { eager: bytes.byteLength >= WORKER_ONLY_BYTES, specJson: true });
  } catch {
    return null;
  }
}

let read: ((oid: string) => Uint8Array | undefined) | undefined;

parentPort!.on('message', (req: ParseRequest) => {
  let files: FileReply[];
  if ('oids' in req) {
    if (req.objects) read = openSharedObjects(req.objects);
    files = req.oids.map((oid) => {
      const bytes = read?.(oid);
      if (bytes === undefined) return UNREAD;
      return !req.alone && bytes.byteLength >= WORKER_ONLY_BYTES ? BIG : parseAhead(bytes);
    });
  } else {
    let at = 0;
    files = req.lengths.map((n) => parseAhead(req.bytes.subarray(at, (at += n))));
  }
  parentPort!.postMessage({ id: req.id, files } satisfies ParseReply);
});
