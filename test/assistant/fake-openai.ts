// A local OpenAI-compatible chat-completions server for the assistant tests: streams chunks, answers JSON,
// calls tools, fails, hangs and rate-limits, one scripted behaviour per request. Never imported from src/.
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behaviour =
  | { kind: 'stream'; chunks: string[] }
  | { kind: 'json'; content: string }
  | { kind: 'tool'; name: string; arguments: Record<string, unknown>; stream: boolean }
  | { kind: 'fail'; status: number; body: string }
  | { kind: 'rate'; retryAfter: string }
  | { kind: 'hang' };

export interface Seen {
  authorization?: string;
  body: any;
}

function streamChunks(res: ServerResponse, deltas: Record<string, unknown>[]) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const delta of deltas) res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`);
  res.end('data: [DONE]\n\n');
}

export async function startFakeOpenAi() {
  const script: Behaviour[] = [];
  const seen: Seen[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    seen.push({ authorization: req.headers.authorization, body: JSON.parse(raw) });
    const b = script.shift() ?? { kind: 'fail', status: 500, body: 'no script' };
    if (req.url !== '/v1/chat/completions') return void res.writeHead(404).end();
    switch (b.kind) {
      case 'stream':
        return streamChunks(res, b.chunks.map((content) => ({ content })));
      case 'json':
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: b.content }, finish_reason: 'stop' }], usage: { total_tokens: 3 } }));
      case 'tool': {
        const call = { id: 'call_1', type: 'function', function: { name: b.name, arguments: JSON.stringify(b.arguments) } };
        if (b.stream) {
          const args = call.function.arguments;
          return streamChunks(res, [
            { tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: b.name, arguments: args.slice(0, 5) } }] },
            { tool_calls: [{ index: 0, function: { arguments: args.slice(5) } }] },
          ]);
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [call] }, finish_reason: 'tool_calls' }] }));
      }
      case 'fail':
        res.writeHead(b.status, { 'content-type': 'application/json' });
        return void res.end(b.body);
      case 'rate':
        res.writeHead(429, { 'retry-after': b.retryAfter, 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: { message: 'slow down' } }));
      case 'hang':
        hanging.push(res);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    script,
    seen,
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
