// A Kradle server started in the test's own process as `kradle serve` starts it, on the embedded defaults a
// test wants: PGlite in memory, a fresh state directory, an ephemeral port, no polling, silent logs, and the
// admin token it wrote on first start.
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.ts';
import { createBareClone, createTestRepo, tempDir } from './git-repo.ts';
import { orgDocs } from './sync-harness.ts';

export interface TestServer {
  server: RunningServer;
  url: string;
  token: string;
  /** One request with the admin token; a body is sent as JSON, an answer read as JSON when it is. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
}

export async function startTestServer(opts: Pick<ServerOptions, 'repo'> & Partial<ServerOptions>): Promise<TestServer> {
  const server = await startServer({
    port: 0, host: '127.0.0.1', stateDir: tempDir('kradle-state-'), dataDir: 'memory://', env: {},
    pollIntervalMs: 3_600_000, logger: pino({ level: 'silent' }), ...opts,
  });
  const token = readFileSync(server.adminTokenFile!, 'utf8').trim();
  return {
    server, url: server.url, token,
    async api(method, path, body, headers = {}) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
    },
  };
}

/** A bare repository whose one commit declares the org acme (orgDocs): what a server test writes to. */
export function acmeRepo(): string {
  const seed = createTestRepo();
  seed.commit(orgDocs('acme'), 'add acme');
  return createBareClone(seed.dir);
}
