import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ForbiddenError } from '../errors/index.ts';
import { canActOn } from '../api/auth/authorize.ts';
import type { ApiContext, RouteDef } from '../api/context.ts';
import { callerApi } from './caller-api.ts';
import { queryString } from '../api/routes/helpers.ts';
import { createMcpServer } from './server.ts';

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
