// Runs the ava suite with the TAP reporter and closes with `N passed, N failed` taken from its results,
// the line CI reads. Extra arguments are passed to ava (files, --match).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const child = spawn(process.execPath, ['node_modules/ava/entrypoints/cli.mjs', '--tap', ...process.argv.slice(2)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let passed = 0;
let failed = 0;
let skipped = 0;
const lines = createInterface({ input: child.stdout });
lines.on('line', (line) => {
  process.stdout.write(line + '\n');
  const m = /^(not ok|ok)\s+\d+\b(.*)$/.exec(line);
  if (!m) return;
  if (/#\s*(SKIP|TODO)/i.test(m[2])) skipped++;
  else if (m[1] === 'ok') passed++;
  else failed++;
});
child.on('close', (code) => {
  // ava exits non-zero on an uncaught exception or a timeout even when no `not ok` line was printed.
  if (code !== 0 && failed === 0) failed = 1;
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exitCode = code ?? 1;
});
