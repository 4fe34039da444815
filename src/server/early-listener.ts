import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// Imports nothing but node:http on purpose: `kradle serve` binds its port with this before loading the
// server's modules (the API, the store, the cluster client: seconds on a loaded machine), so /healthz answers
// while they load and /readyz names what start-up still waits for.

/** What startServer waits for, in order; `kradle serve` puts the loading of the server's modules first. */
export const START_STEPS = ['the store', 'the config repo', 'the cluster driver and the sync controller'] as const;
export const MODULES_STEP = "the server's modules";

export interface StartingListener {
  server: Server;
  url: string;
  /** The steps not done yet, in order. */
  pending(): string[];
  /** Marks a step done; /readyz stops naming it. */
  done(step: string): void;
  /** Start-up is over: every request goes to handler from now on. */
  serve(handler: (req: IncomingMessage, res: ServerResponse) => void): void;
}

/**
 * Listens on host:port at once. Until serve() is called, /healthz answers 200, and /readyz and every other
 * route 503 (with Retry-After) with `waitingFor` (the step under way) and `pending` (every step not done). The listener is
 * unref'd until then, so a start that fails does not keep the process alive.
 */
export async function listenEarly(port: number, host: string, steps: readonly string[] = START_STEPS): Promise<StartingListener> {
  const pending = [...steps];
  const waitingFor = () => pending[0] ?? 'the last start-up steps';
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (req, res) => {
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    if (req.url === '/healthz') return json(200, { ok: true, starting: true });
    if (req.url === '/readyz') return json(503, { ok: false, starting: true, waitingFor: waitingFor(), pending });
    // Retry-After, as the API's other 503s carry it: a client that honours it (the CLI, client-go style retries)
    // comes back instead of failing the call.
    json(503, { error: { code: 'STARTING', message: `kradle is starting (waiting for ${waitingFor()})`, details: [] } }, { 'retry-after': '1' });
  };
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(port, host, ok));
  const address = server.address() as AddressInfo;
  server.unref();
  return {
    server,
    url: `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`,
    pending: () => [...pending],
    done(step) {
      const i = pending.indexOf(step);
      if (i >= 0) pending.splice(i, 1);
    },
    serve(h) {
      handler = h;
      server.ref();
    },
  };
}
