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
  // POST only: a stateless server has no session to end (DELETE) and never sends on its own, so a GET stream
  // would only hold a connection open; the app answers both with 405, which clients read as "not offered".
  return [{ method: 'POST', path: '/mcp', auth: 'any', summary: 'MCP (spec §5) over streamable HTTP, stateless; ?org= picks the org of a platform token', handler }];
}
