// Starts the API on 127.0.0.1:0 over real HTTP for test/api and bench/api, and talks to it with fetch.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createApiApp, type ApiApp, type ApiDeps, type Role } from '../../src/api/index.ts';

export interface Running {
  url: string;
  app: ApiApp;
  server: Server;
  close(): Promise<void>;
}

export const silentLogger = pino({ level: process.env.API_TEST_LOG ?? 'silent' });

export async function startApi(deps: Omit<ApiDeps, 'logger'> & { logger?: ApiDeps['logger'] }): Promise<Running> {
  const app = createApiApp({ logger: silentLogger, ...deps });
  const server = createServer(app.callback());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    server,
    async close() {
      app.shutdown();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small client: JSON in, JSON (or text) out, bearer token when given. */
export function client(base: string, token?: string) {
  async function call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    const send = () => fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    let res: Response;
    try {
      res = await send();
    } catch (err) {
      // A pooled keep-alive connection the server closed as it was reused (a loaded machine stretches the
      // gap): the request never reached a handler, so it is sent once more; a server that resets every
      // time still fails, now naming the request and the socket error.
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      if (!/^(UND_ERR_SOCKET|ECONNRESET|EPIPE)$/.test(String(cause?.code))) throw new Error(`${method} ${path}: ${(err as Error).message} (${cause?.code ?? cause?.message ?? 'no cause'})`, { cause: err });
      res = await send().catch((again: unknown) => {
        throw new Error(`${method} ${path}: ${(again as Error).message}, twice (${cause?.code})`, { cause: again });
      });
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: metrics, SSE */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
  return {
    get: <T = any>(p: string, h?: Record<string, string>) => call<T>('GET', p, undefined, h),
    post: <T = any>(p: string, b?: unknown, h?: Record<string, string>) => call<T>('POST', p, b ?? {}, h),
    del: <T = any>(p: string, h?: Record<string, string>) => call<T>('DELETE', p, undefined, h),
    call,
  };
}

export async function makeToken(app: ApiApp, org: string, role: Role, subject?: string): Promise<string> {
  return (await app.tokens.create({ org, role, subject })).token;
}

export interface SseMessage {
  id?: string;
  event?: string;
  data: any;
}

/** Reads an SSE stream with fetch; `next()` resolves with each message (comments skipped). */
export async function openSse(base: string, path: string, token: string, lastEventId?: number | string) {
  const ctrl = new AbortController();
  const res = await fetch(`${base}${path}`, {
    headers: { authorization: `Bearer ${token}`, ...(lastEventId !== undefined ? { 'last-event-id': String(lastEventId) } : {}) },
    signal: ctrl.signal,
  });
  const messages: SseMessage[] = [];
  const waiters: ((m: SseMessage | undefined) => void)[] = [];
  let ended = false;
  let comments = 0;
  const push = (m: SseMessage | undefined) => {
    const w = waiters.shift();
    if (w) w(m);
    else if (m) messages.push(m);
  };
  void (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const m: SseMessage = { data: undefined };
          let isComment = true;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            isComment = false;
            const [field, ...rest] = line.split(': ');
            const value = rest.join(': ');
            if (field === 'id') m.id = value;
            if (field === 'event') m.event = value;
            if (field === 'data') m.data = JSON.parse(value);
          }
          if (isComment) comments++;
          else if (m.data !== undefined) push(m);
        }
      }
    } catch {
      /* aborted */
    }
    ended = true;
    while (waiters.length) push(undefined);
  })();
  return {
    status: res.status,
    /** Next message, or undefined when the stream ended. */
    next(): Promise<SseMessage | undefined> {
      if (messages.length) return Promise.resolve(messages.shift());
      if (ended) return Promise.resolve(undefined);
      return new Promise((resolve) => waiters.push(resolve));
    },
    /** Messages until `n` events with ids have arrived (the `connected` message is skipped). */
    async take(n: number): Promise<SseMessage[]> {
      const out: SseMessage[] = [];
      while (out.length < n) {
        const m = await this.next();
        if (!m) break;
        if (m.id !== undefined) out.push(m);
      }
      return out;
    },
    get comments() {
      return comments;
    },
    get ended() {
      return ended;
    },
    close: () => ctrl.abort(),
  };
}
