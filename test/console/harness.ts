// A real `kradle serve` (PGlite, plan-only cluster) on a bare config repo that the test pushes to, and Debian's
// Chromium driven by playwright-core: the console as an operator's browser sees it. Never a downloaded browser.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import pino from 'pino';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { createTestRepo, runGit, type TestRepo } from '../support/git-repo.ts';

export const CHROMIUM = process.env.KRADLE_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Headless Chromium; playwright gives each launch a fresh temporary user-data dir (removed on close), and each
 * test opens its own context, so cookies never leak from one signed-in user to another.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

export interface ConsoleWorld {
  server: RunningServer;
  /** A working clone: commit, then push() to the bare repo the server syncs. */
  work: TestRepo;
  /** Pushes, then tells the server as a forge's push webhook would (POST /api/sync): no waiting for a poll. */
  push(): Promise<void>;
  /** Stops the server and starts it again on the same port and state (`server` is then the new one). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startConsoleWorld(files: Record<string, string>, opts: { corsOrigins?: string[] } = {}): Promise<ConsoleWorld> {
  const root = mkdtempSync(join(tmpdir(), 'kradle-console-'));
  const work = createTestRepo(join(root, 'work'));
  work.commit(files, 'initial config');
  const bare = join(root, 'config.git');
  runGit(root, ['clone', '-q', '--bare', work.dir, bare]);
  work.git('remote', 'add', 'origin', bare);
  const options = {
    repo: bare, ref: 'main', port: 0, host: '127.0.0.1', stateDir: join(root, 'state'), dataDir: join(root, 'state', 'data'),
    env: {}, pollIntervalMs: 3_600_000, logger: pino({ level: process.env.API_TEST_LOG ?? 'silent' }), corsOrigins: opts.corsOrigins,
  };
  let server = await startServer(options);
  const platform = (await server.tokens.create({ org: '*', role: 'admin', subject: 'forge' })).token;
  return {
    get server() {
      return server;
    },
    work,
    async push() {
      // The server commits too (writes through the API): replay ours on top, as an operator would.
      work.git('pull', '-q', '--rebase', 'origin', 'main');
      work.git('push', '-q', 'origin', 'main');
      const res = await fetch(`${server.url}/api/sync`, { method: 'POST', headers: { authorization: `Bearer ${platform}` } });
      if (res.status !== 202) throw new Error(`POST /api/sync answered ${res.status}`);
    },
    async restart() {
      const port = Number(new URL(server.url).port);
      await server.close();
      server = await startServer({ ...options, port });
    },
    async close() {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
