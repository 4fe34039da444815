// A parse worker: YAML text in, ParsedFile out (plain objects and packed positions, no Document trees).
import { parentPort } from 'node:worker_threads';
import { parseYamlFile, type ParsedFile } from './parse.ts';

export interface ParseRequest {
  id: number;
  texts: string[];
}

/** `null` for a file whose parse threw: the main thread parses it again, so the error is its own. */
export interface ParseReply {
  id: number;
  files: (ParsedFile | null)[];
}

parentPort!.on('message', (req: ParseRequest) => {
  const files = req.texts.map((text) => {
    try {
      return parseYamlFile(text);
    } catch {
      return null;
    }
  });
  parentPort!.postMessage({ id: req.id, files } satisfies ParseReply);
});
