import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, GetPromptRequestSchema, ListPromptsRequestSchema, ListResourcesRequestSchema, ListToolsRequestSchema, McpError, ReadResourceRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Ajv, type ValidateFunction } from 'ajv';
import type { ApiClient } from '../cli/client.ts';
import { isKradleError, sanitize, type ErrorDetail } from '../errors/index.ts';
import { PROMPTS } from './prompts.ts';
import { RESOURCES } from './resources.ts';
import { orgResolver, TOOLS, type ToolContext } from './tools.ts';

/** Who the server acts for: an API client carrying the caller's credentials, and the org tools default to. */
export interface McpSession {
  api: ApiClient;
  org?: string;
}

const VERSION = '0.1.0';
const ORG_ARG = { name: 'org', description: "organization slug; defaults to the session's org", required: false };

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new Map<string, ValidateFunction>(TOOLS.map((t) => [t.name, ajv.compile(t.inputSchema)]));

function errorResult(code: string, message: string, details: ErrorDetail[] = []): CallToolResult {
  const error = { code, message: sanitize(message), details };
  return { isError: true, content: [{ type: 'text', text: `${code}: ${error.message}` }], structuredContent: { error } };
}

/** An API answer or a local check that failed, as a tool error carrying the envelope's code and message. */
function toolError(err: unknown): CallToolResult {
  if (isKradleError(err)) return errorResult(err.code, err.message, err.details);
  return errorResult('INTERNAL', err instanceof Error ? err.message : String(err));
}

function inputErrors(validate: ValidateFunction): ErrorDetail[] {
  return (validate.errors ?? []).map((e) => ({
    code: 'SCHEMA',
    field: e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : (e.params as { missingProperty?: string; additionalProperty?: string }).missingProperty ?? (e.params as { additionalProperty?: string }).additionalProperty ?? '',
    message: e.keyword === 'additionalProperties' ? `unknown argument ${(e.params as { additionalProperty: string }).additionalProperty}` : `${e.instancePath || 'arguments'} ${e.message ?? 'is invalid'}`,
  }));
}

/** One MCP server (spec §5) bound to a session; the same for stdio and streamable HTTP. */
export function createMcpServer(session: McpSession): Server {
  const server = new Server({ name: 'kradle', version: VERSION }, { capabilities: { tools: {}, prompts: {}, resources: {} } });
  const ctx: ToolContext = { api: session.api, org: orgResolver(session.org) };

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: TOOLS.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const tool = TOOLS.find((t) => t.name === req.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `unknown tool ${req.params.name}`);
    const args = req.params.arguments ?? {};
    const validate = validators.get(tool.name)!;
    if (!validate(args)) return errorResult('VALIDATION_FAILED', `invalid arguments for ${tool.name}`, inputErrors(validate));
    try {
      const result = await tool.run(ctx, args);
      const structured = result && typeof result === 'object' && !Array.isArray(result) ? (result as Record<string, unknown>) : { result };
      return { content: [{ type: 'text', text: JSON.stringify(result, null, 2) }], structuredContent: structured };
    } catch (err) {
      return toolError(err);
    }
  });

  server.setRequestHandler(ListPromptsRequestSchema, async () => ({
    prompts: PROMPTS.map((p) => ({ name: p.name, description: p.description, arguments: [...p.arguments, ORG_ARG] })),
  }));

  server.setRequestHandler(GetPromptRequestSchema, async (req) => {
    const prompt = PROMPTS.find((p) => p.name === req.params.name);
    if (!prompt) throw new McpError(ErrorCode.InvalidParams, `unknown prompt ${req.params.name}`);
    const args = req.params.arguments ?? {};
    try {
      const text = await prompt.text(session.api, ctx.org(args), args);
      return { description: prompt.description, messages: [{ role: 'user', content: { type: 'text', text } }] };
    } catch (err) {
      throw asMcpError(err);
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: RESOURCES.map(({ uri, name, description, mimeType }) => ({ uri, name, description, mimeType })),
  }));

  server.setRequestHandler(ReadResourceRequestSchema, async (req) => {
    const resource = RESOURCES.find((r) => r.uri === req.params.uri);
    if (!resource) throw new McpError(ErrorCode.InvalidParams, `unknown resource ${req.params.uri}`);
    try {
      const value = await resource.read(session.api, ctx.org({}));
      return { contents: [{ uri: resource.uri, mimeType: resource.mimeType, text: JSON.stringify(value, null, 2) }] };
    } catch (err) {
      throw asMcpError(err);
    }
  });

  return server;
}

/** Prompts and resources have no isError result: a failure is a JSON-RPC error with the envelope's code in data. */
function asMcpError(err: unknown): McpError {
  if (isKradleError(err)) return new McpError(ErrorCode.InvalidRequest, `${err.code}: ${sanitize(err.message)}`, { code: err.code, status: err.status, details: err.details });
  return new McpError(ErrorCode.InternalError, sanitize(err instanceof Error ? err.message : String(err)));
}
