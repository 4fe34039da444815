// The real `kradle` binary, run as a user runs it, with what it printed and its exit code.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const KRADLE_BIN = fileURLToPath(new URL('../../bin/kradle.js', import.meta.url));

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Added to the environment; KRADLE_SERVER and KRADLE_TOKEN come from here only. */
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string;
}

/**
 * The test process's own KRADLE_SERVER and KRADLE_TOKEN never reach the binary, so a command talks to the server
 * the test names or to none; stdin is closed (after `stdin`), as in a CI step.
 */
export function runKradle(args: string[], opts: RunOptions = {}): Promise<Ran> {
  const { KRADLE_SERVER: _server, KRADLE_TOKEN: _token, ...base } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KRADLE_BIN, ...args], { env: { ...base, ...opts.env }, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}
