import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, GetPromptRequestSchema, ListPromptsRequestSchema, ListResourcesRequestSchema, ListToolsRequestSchema, ReadResourceRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { ApiClient } from '../cli/client.ts';
import { isKradleError, sanitize } from '../errors/index.ts';
import { ParamsCheckingServer } from './params-gate.ts';
import { ProtocolError } from './protocol-error.ts';
import { PROMPTS } from './prompts.ts';
import { RESOURCES } from './resources.ts';
import { runTool } from './run-tool.ts';
import { orgResolver, TOOLS, type ToolContext } from './tools.ts';

/** Who the server acts for: an API client carrying the caller's credentials, and the org tools default to. */
export interface McpSession {
  api: ApiClient;
  org?: string;
}

const VERSION = '0.1.0';
/** MCP's code for a resource URI the server does not have (spec, server/resources "Error Handling"); SDK 1.x's ErrorCode lacks it. */
const RESOURCE_NOT_FOUND = -32002;
const ORG_ARG = { name: 'org', description: "organization slug; defaults to the session's org", required: false };

/** One MCP server (spec §5) bound to a session; the same for stdio and streamable HTTP. */
export function createMcpServer(session: McpSession): Server {
  const server = new ParamsCheckingServer({ name: 'kradle', version: VERSION }, { capabilities: { tools: {}, prompts: {}, resources: {} } });
  const ctx: ToolContext = { api: session.api, org: orgResolver(session.org) };

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: TOOLS.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    if (!TOOLS.some((t) => t.name === req.params.name)) throw new ProtocolError(ErrorCode.InvalidParams, `unknown tool ${req.params.name}`);
    return runTool(ctx, req.params.name, req.params.arguments ?? {});
  });

  server.setRequestHandler(ListPromptsRequestSchema, async () => ({
    prompts: PROMPTS.map((p) => ({ name: p.name, description: p.description, arguments: [...p.arguments, ORG_ARG] })),
  }));

  server.setRequestHandler(GetPromptRequestSchema, async (req) => {
    const prompt = PROMPTS.find((p) => p.name === req.params.name);
    if (!prompt) throw new ProtocolError(ErrorCode.InvalidParams, `unknown prompt ${req.params.name}`);
    const args = req.params.arguments ?? {};
    try {
      const text = await prompt.text(session.api, ctx.org(args), args);
      return { description: prompt.description, messages: [{ role: 'user', content: { type: 'text', text } }] };
    } catch (err) {
      throw asProtocolError(err);
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: RESOURCES.map(({ uri, name, description, mimeType }) => ({ uri, name, description, mimeType })),
  }));

  server.setRequestHandler(ReadResourceRequestSchema, async (req) => {
    const resource = RESOURCES.find((r) => r.uri === req.params.uri);
    if (!resource) throw new ProtocolError(RESOURCE_NOT_FOUND, `unknown resource ${req.params.uri}`, { uri: req.params.uri });
    try {
      const value = await resource.read(session.api, ctx.org({}));
      return { contents: [{ uri: resource.uri, mimeType: resource.mimeType, text: JSON.stringify(value, null, 2) }] };
    } catch (err) {
      throw asProtocolError(err);
    }
  });

  return server;
}

/**
 * Prompts and resources have no isError result: a failure is a JSON-RPC error with the envelope's code in data.
 * The server's own failure (5xx, an unreachable API) is -32603 Internal error, as the MCP spec asks for both.
 */
function asProtocolError(err: unknown): ProtocolError {
  if (isKradleError(err)) {
    const code = err.status >= 500 ? ErrorCode.InternalError : ErrorCode.InvalidRequest;
    return new ProtocolError(code, `${err.code}: ${sanitize(err.message)}`, { code: err.code, status: err.status, details: err.details });
  }
  return new ProtocolError(ErrorCode.InternalError, sanitize(err instanceof Error ? err.message : String(err)));
}
