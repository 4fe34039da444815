// The raw parse floor as a process of its own, as `kradle validate` is one: plain node (no TypeScript loader), the
// files named on stdin (one path per line, below argv[2]) read, then parsed with yaml (parseAllDocuments + toJS)
// on this one thread. Prints the milliseconds of the parse alone; the parent times the whole process.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';

const dir = process.argv[2];
const texts = readFileSync(0, 'utf8').split('\n').filter(Boolean).map((p) => readFileSync(join(dir, p), 'utf8'));
const started = performance.now();
for (const text of texts) for (const d of parseAllDocuments(text, { lineCounter: new LineCounter() })) d.toJS();
process.stdout.write(String(performance.now() - started));
