// Whether dist/ (npm run build) is at least as new as every file of src/: the test bin/kradle.js makes before it
// runs the compiled code, for benches that measure what a user runs. (bin/kradle.js runs the CLI when imported.)
import { readdirSync, readFileSync, statSync } from 'node:fs';

function changedSince(dir: string, since: number): boolean {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory() ? changedSince(path, since) : statSync(path).mtimeMs > since) return true;
  }
  return false;
}

export function compiledIsFresh(): boolean {
  try {
    const { builtAt } = JSON.parse(readFileSync(new URL('../../dist/BUILD.json', import.meta.url), 'utf8')) as { builtAt: number };
    return !changedSince(new URL('../../src', import.meta.url).pathname, builtAt);
  } catch {
    return false;
  }
}
