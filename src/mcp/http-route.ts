import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createApiClient, type ApiClient } from '../cli/client.ts';
import { ForbiddenError } from '../errors/index.ts';
import { canActOn } from '../api/auth/authorize.ts';
import type { ApiContext, RouteDef } from '../api/context.ts';
import { queryString } from '../api/routes/helpers.ts';
import { createMcpServer } from './server.ts';

/** The caller's credentials (bearer token, or session cookie with its CSRF proof), passed on to each API call. */
const FORWARDED = /^(authorization|cookie|origin|x-(csrf|xsrf|kradle)[-\w]*)$/i;

/**
 * The API as this request's caller sees it: calls go back to this very server over loopback, through the
 * same auth middleware, routes and envelope, with the caller's own credentials. So a tool can never do more
 * than the caller could do with the HTTP API.
 */
function callerApi(ctx: ApiContext): ApiClient {
  const { localAddress, localPort } = ctx.req.socket;
  const host = !localAddress || localAddress === '::' || localAddress === '0.0.0.0' ? '127.0.0.1' : localAddress.includes(':') ? `[${localAddress}]` : localAddress;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.headers)) if (FORWARDED.test(k) && typeof v === 'string') headers[k] = v;
  headers['x-request-id'] = ctx.state.requestId;
  const forward: typeof fetch = (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } });
  return createApiClient({ server: `http://${host}:${localPort}`, fetch: forward });
}

/** MCP's streamable HTTP transport at /mcp, stateless: each POST is answered whole, so any replica can serve it. */
export function mcpRoutes(): RouteDef[] {
  async function handler(ctx: ApiContext): Promise<void> {
    const principal = ctx.state.principal!;
    const asked = queryString(ctx, 'org');
    if (asked && !canActOn(principal, asked)) throw new ForbiddenError(`the token is not valid for org ${asked}`);
    const org = asked ?? (principal.org === '*' ? undefined : principal.org);
    const server = createMcpServer({ api: callerApi(ctx), org });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    ctx.res.on('close', () => void server.close().catch(() => {}));
    await server.connect(transport);
    ctx.respond = false;
    await transport.handleRequest(ctx.req, ctx.res);
  }
  const summary = 'MCP (spec §5) over streamable HTTP, stateless; ?org= picks the org of a platform token';
  return [
    { method: 'POST', path: '/mcp', auth: 'any', summary, handler },
    { method: 'GET', path: '/mcp', auth: 'any', summary: `${summary} (no server-initiated stream: 405)`, handler },
    { method: 'DELETE', path: '/mcp', auth: 'any', summary: `${summary} (no sessions to end: 405)`, handler },
  ];
}
