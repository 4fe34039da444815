// One measurement of the raw parse floor, in a process of its own as `kradle validate` is: the files named on stdin
// (one path per line, below argv[2]) read first, then only their parse (parseAllDocuments + toJS) timed, on this
// one thread. Prints the milliseconds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';

const dir = process.argv[2]!;
const texts = readFileSync(0, 'utf8').split('\n').filter(Boolean).map((p) => readFileSync(join(dir, p), 'utf8'));
const started = performance.now();
for (const text of texts) for (const d of parseAllDocuments(text, { lineCounter: new LineCounter() }) as ReturnType<typeof parseAllDocuments> & unknown[]) d.toJS();
process.stdout.write(String(performance.now() - started));
