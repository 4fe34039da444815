// The parse worker when there is no bundle of it (worker-script.ts): the compiled one beside this file (dist/),
// else the TypeScript source. Module hooks registered on the main thread (`--import tsx`, or tsx's register() in
// bin/kradle.js) do not reach a worker on Node 20, so tsx is registered here when needed.
import { existsSync } from 'node:fs';

const compiled = new URL('./parse-worker.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  try {
    await import('./parse-worker.ts');
  } catch (err) {
    if (err?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
    const { register } = await import('tsx/esm/api');
    register();
    // A new URL: the failed import above stays cached under the plain one.
    await import('./parse-worker.ts?tsx');
  }
}
