#!/usr/bin/env node
// The package's entry point: registers the TypeScript loader (no build step), then runs the CLI.
import { register } from 'tsx/esm/api';

// `kradle kinds | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
