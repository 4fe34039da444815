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

let main;
if (compiledIsFresh()) {
  ({ main } = await import('../dist/cli/main.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
