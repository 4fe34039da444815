#!/usr/bin/env node
// The package's entry point. Runs the compiled dist/ (built by `npm run build`, which `npm ci` runs as
// `prepare`) when it is at least as new as every file of src/; otherwise registers the TypeScript loader and
// runs src/ as is, so an edited checkout never runs stale code. KRADLE_TSX=1 forces the sources.
import { readdirSync, readFileSync, statSync } from 'node:fs';

// `kradle kinds | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

/** Whether any file below dir changed after `since` (ms). */
function changedSince(dir, since) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory() ? changedSince(path, since) : statSync(path).mtimeMs > since) return true;
  }
  return false;
}

function compiledIsFresh() {
  if (process.env.KRADLE_TSX === '1') return false;
  try {
    const { builtAt } = JSON.parse(readFileSync(new URL('../dist/BUILD.json', import.meta.url), 'utf8'));
    return !changedSince(new URL('../src', import.meta.url).pathname, builtAt);
  } catch {
    return false;
  }
}

let cli;
if (compiledIsFresh()) {
  cli = await import('../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../src/cli/main.ts');
}
const argv = process.argv.slice(2);
process.exitCode = await cli.main(argv);
// A command that left nothing running exits once its output is written, not after the heap's teardown.
if (await cli.exitsWhenDone(argv)) {
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise((done) => s.write('', done))));
  process.exit();
}
