import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { clientFromFlags, CONNECTION_USAGE, parseCommand, runRemote, type ApiClient } from '../client.ts';
import { createMcpServer } from '../../mcp/index.ts';
import type { Command } from '../main.ts';

const USAGE = `usage: kradle mcp [--org ORG]
  the MCP server of Kradle (14 tools, 3 prompts, 2 resources) over stdio, acting through a running server's API
  with the token's org and role; --org (or KRADLE_ORG) is the org tools default to, else the token's only org
${CONNECTION_USAGE}`;

/** The token's only visible org, when it sees exactly one: what a client of an org token expects by default. */
async function defaultOrg(api: ApiClient): Promise<string | undefined> {
  const { body } = await api.request<{ organizations: { slug: string }[] }>('GET', '/api/orgs');
  return body.organizations.length === 1 ? body.organizations[0]!.slug : undefined;
}

/** stdout carries the protocol only: every diagnostic goes to stderr. */
export const command: Command = {
  summary: 'the MCP server over stdio (tools, prompts and resources of a running server)',
  usage: USAGE,
  run: (argv) =>
    runRemote('mcp', USAGE, argv, async () => {
      const { values } = parseCommand(argv, { org: { type: 'string' } });
      if (values.help) return console.error(USAGE), 0;
      const api = clientFromFlags(values);
      const org = values.org || process.env.KRADLE_ORG || (await defaultOrg(api));
      const server = createMcpServer({ api, org });
      const transport = new StdioServerTransport();
      const closed = new Promise<void>((resolve) => {
        transport.onclose = resolve;
        process.stdin.once('end', resolve);
      });
      await server.connect(transport);
      await closed;
      await server.close();
      return 0;
    }),
};
