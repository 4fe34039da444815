// Serves a directory of Git repositories over smart HTTP from the test process: `git http-backend`
// run as a CGI behind node:http, with optional bearer or basic auth and push enabled.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHttpServerOptions {
  /** Directory whose subdirectories are the served repositories (`<url>/<name>`). */
  root: string;
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** When set, requests must carry these basic credentials (either this or the token is enough). */
  basic?: { username: string; password: string };
  /** A fixed port (to bring a server back where a client expects it); default any free port. */
  port?: number;
}

export interface GitHttpServer {
  /** Base URL without a trailing slash; a repository is `${url}/<name>`. */
  url: string;
  /** Every request served so far, in order (method and path with query). */
  requests: { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

function authorized(req: IncomingMessage, opts: GitHttpServerOptions): boolean {
  if (!opts.token && !opts.basic) return true;
  const header = req.headers.authorization ?? '';
  if (opts.token && header === `Bearer ${opts.token}`) return true;
  if (opts.basic) {
    const expected = Buffer.from(`${opts.basic.username}:${opts.basic.password}`).toString('base64');
    if (header === `Basic ${expected}`) return true;
  }
  return false;
}

function cgiEnv(req: IncomingMessage, root: string): NodeJS.ProcessEnv {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.receivepack',
    GIT_CONFIG_VALUE_0: 'true',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    REMOTE_USER: 'kradle-test',
  };
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  if (req.headers['git-protocol']) env.GIT_PROTOCOL = String(req.headers['git-protocol']);
  return env;
}

/** Splits CGI output into its header block (Status + headers) and body, then replays it as HTTP. */
function relayCgi(child: ReturnType<typeof spawn>, res: ServerResponse, done: (status: number) => void): void {
  let head = Buffer.alloc(0);
  let sent = false;
  child.stdout!.on('data', (chunk: Buffer) => {
    if (sent) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const text = head.toString('latin1');
    const m = /\r?\n\r?\n/.exec(text);
    if (!m) return;
    let status = 200;
    for (const line of text.slice(0, m.index).split(/\r?\n/)) {
      const i = line.indexOf(':');
      const [key, value] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
      if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else res.setHeader(key, value);
    }
    res.writeHead(status);
    sent = true;
    done(status);
    res.write(head.subarray(m.index + m[0].length));
  });
  child.stdout!.on('end', () => {
    if (!sent) {
      res.writeHead(502);
      done(502);
    }
    res.end();
  });
}

export async function startGitHttpServer(opts: GitHttpServerOptions): Promise<GitHttpServer> {
  const requests: GitHttpServer['requests'] = [];
  const server = createServer((req, res) => {
    const record = { method: req.method ?? 'GET', path: req.url ?? '/', status: 0 };
    requests.push(record);
    if (!authorized(req, opts)) {
      record.status = 401;
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="kradle-test"', 'Content-Type': 'text/plain' });
      return void res.end('authentication required\n');
    }
    const child = spawn('git', ['http-backend'], { env: cgiEnv(req, opts.root), stdio: ['pipe', 'pipe', 'ignore'] });
    req.pipe(child.stdin!);
    child.stdin!.on('error', () => {});
    relayCgi(child, res, (status) => (record.status = status));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
