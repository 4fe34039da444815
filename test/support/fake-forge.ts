// A GitHub-compatible REST API (the part Gitea shares) that records what it is sent: commit statuses and
// pull-request comments, with comments listed, created and edited as a forge does.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ForgeRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: any;
}

export interface FakeForge {
  /** API root, e.g. http://127.0.0.1:1234/api/v3 */
  api: string;
  requests: ForgeRequest[];
  statuses: { repo: string; sha: string; state: string; description: string; context: string }[];
  comments: Map<number, { id: number; issue: string; body: string }>;
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

export async function startFakeForge(prefix = '/api/v3'): Promise<FakeForge> {
  const requests: ForgeRequest[] = [];
  const statuses: FakeForge['statuses'] = [];
  const comments: FakeForge['comments'] = new Map();
  let nextId = 100;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://forge');
    const body = await bodyOf(req);
    requests.push({ method: req.method ?? '', path: url.pathname, authorization: req.headers.authorization, body });
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : '';
    let m: RegExpExecArray | null;
    if ((m = /^\/repos\/([^/]+\/[^/]+)\/statuses\/([0-9a-f]{40})$/.exec(path)) && req.method === 'POST') {
      statuses.push({ repo: m[1]!, sha: m[2]!, ...body });
      return send(201, { id: statuses.length, ...body });
    }
    if ((m = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/comments$/.exec(path))) {
      const issue = `${m[1]}#${m[2]}`;
      if (req.method === 'GET') {
        const page = Number(url.searchParams.get('page') ?? 1);
        const per = Number(url.searchParams.get('per_page') ?? 30);
        const all = [...comments.values()].filter((c) => c.issue === issue);
        return send(200, all.slice((page - 1) * per, page * per).map(({ id, body }) => ({ id, body })));
      }
      if (req.method === 'POST') {
        const c = { id: nextId++, issue, body: body.body };
        comments.set(c.id, c);
        return send(201, { id: c.id, body: c.body });
      }
    }
    if ((m = /^\/repos\/([^/]+\/[^/]+)\/issues\/comments\/(\d+)$/.exec(path)) && req.method === 'PATCH') {
      const c = comments.get(Number(m[2]));
      if (!c) return send(404, { message: 'Not Found' });
      c.body = body.body;
      return send(200, { id: c.id, body: c.body });
    }
    send(404, { message: 'Not Found' });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  return {
    api: `http://127.0.0.1:${port}${prefix}`,
    requests,
    statuses,
    comments,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
