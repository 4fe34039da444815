// A GitHub-compatible REST API on a local port that records what it is sent: issues and pull requests,
// commit statuses and issue comments, with injectable failures and a way to hold a request open.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ForgeRequest {
  method: string;
  path: string;
  authorization?: string;
  body: any;
}

export interface FakeForge {
  url: string;
  requests: ForgeRequest[];
  /** Comments by `owner/repo#number`. */
  comments: Map<string, { id: number; body: string }[]>;
  /** Commit statuses by `owner/repo@sha`, oldest first. */
  statuses: Map<string, any[]>;
  /** Every commit status, oldest first per commit, with the repository and commit it was set on. */
  allStatuses(): { repo: string; sha: string; state: string; description: string; context: string }[];
  /** Every comment of every issue and pull request. */
  allComments(): { id: number; body: string }[];
  /** The next `count` requests answer `status` (default 500). */
  failNext(count: number, status?: number): void;
  /** The next request waits until the returned function is called. */
  hold(): () => void;
  close(): Promise<void>;
}

function read(req: IncomingMessage): Promise<any> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : undefined);
      } catch {
        resolve(text);
      }
    });
  });
}

export async function startFakeForge(opts: { token?: string } = {}): Promise<FakeForge> {
  const requests: ForgeRequest[] = [];
  const comments = new Map<string, { id: number; body: string }[]>();
  const statuses = new Map<string, any[]>();
  const failures: number[] = [];
  let held: Promise<void> | undefined;
  let nextNumber = 1;
  let nextComment = 100;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await read(req);
    const path = (req.url ?? '/').split('?')[0]!.replace(/^\/api\/v1/, '');
    requests.push({ method: req.method!, path, authorization: req.headers.authorization, body });
    const send = (status: number, value: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    if (held) await held;
    if (failures.length) return send(failures.shift()!, { message: 'injected failure' });
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}` && req.headers.authorization !== `token ${opts.token}`) return send(401, { message: 'Bad credentials' });
    let m: RegExpExecArray | null;
    if (req.method === 'POST' && (m = /^\/repos\/([^/]+\/[^/]+)\/(issues|pulls)$/.exec(path))) return send(201, { number: nextNumber++, ...body });
    if (req.method === 'PATCH' && (m = /^\/repos\/([^/]+\/[^/]+)\/(issues|pulls)\/(\d+)$/.exec(path))) return send(200, { number: Number(m[3]), ...body });
    if (req.method === 'POST' && (m = /^\/repos\/([^/]+\/[^/]+)\/statuses\/([0-9a-f]{40})$/.exec(path))) {
      const key = `${m[1]}@${m[2]}`;
      statuses.set(key, [...(statuses.get(key) ?? []), body]);
      return send(201, body);
    }
    if ((m = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/comments$/.exec(path))) {
      const key = `${m[1]}#${m[2]}`;
      const list = comments.get(key) ?? [];
      if (req.method === 'GET') return send(200, list);
      if (req.method === 'POST') {
        const c = { id: nextComment++, body: String(body?.body ?? '') };
        comments.set(key, [...list, c]);
        return send(201, c);
      }
    }
    if (req.method === 'PATCH' && (m = /^\/repos\/([^/]+\/[^/]+)\/issues\/comments\/(\d+)$/.exec(path))) {
      for (const list of comments.values()) {
        const c = list.find((x) => x.id === Number(m![2]));
        if (c) {
          c.body = String(body?.body ?? '');
          return send(200, c);
        }
      }
      return send(404, { message: 'Not Found' });
    }
    send(404, { message: 'Not Found' });
  }

  const server = createServer((req, res) => void route(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    comments,
    statuses,
    allStatuses: () => [...statuses].flatMap(([key, list]) => list.map((s) => ({ repo: key.split('@')[0]!, sha: key.split('@')[1]!, ...s }))),
    allComments: () => [...comments.values()].flat(),
    failNext(count, status = 500) {
      for (let i = 0; i < count; i++) failures.push(status);
    },
    hold() {
      let release!: () => void;
      held = new Promise<void>((r) => (release = r));
      return () => {
        held = undefined;
        release();
      };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
