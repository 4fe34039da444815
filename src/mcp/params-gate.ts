import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { getParseErrorMessage, safeParse, type AnySchema } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema, ErrorCode, GetPromptRequestSchema, InitializeRequestSchema, isJSONRPCRequest, ListPromptsRequestSchema,
  ListResourcesRequestSchema, ListToolsRequestSchema, PingRequestSchema, ReadResourceRequestSchema, type JSONRPCErrorResponse, type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';

/** Every request the server answers: initialize and ping by the SDK, the rest in server.ts. Others fall through to the SDK's -32601. */
const SCHEMAS = new Map<string, AnySchema>([
  InitializeRequestSchema, PingRequestSchema, ListToolsRequestSchema, CallToolRequestSchema,
  ListPromptsRequestSchema, GetPromptRequestSchema, ListResourcesRequestSchema, ReadResourceRequestSchema,
].map((s) => [s.shape.method.value, s]));

/** The -32602 answer to a request whose params do not fit its method's schema; none for anything else. */
function rejection(message: JSONRPCMessage): JSONRPCErrorResponse | undefined {
  if (!isJSONRPCRequest(message)) return undefined;
  const schema = SCHEMAS.get(message.method);
  const parsed = schema && safeParse(schema, message);
  if (!parsed || parsed.success) return undefined;
  const why = getParseErrorMessage(parsed.error).replace(/\n/g, '; ');
  return { jsonrpc: '2.0', id: message.id, error: { code: ErrorCode.InvalidParams, message: `invalid params for ${message.method}: ${why}` } };
}

/**
 * A Server that answers a request whose params do not fit its method's schema with -32602 Invalid params, naming
 * the param. SDK 1.x parses the request before the handler and lets the parse failure out as -32603 Internal error
 * (typescript-sdk#2284), and its own tools/call check puts the raw issue list in the message; so the check runs
 * here, between the transport and the SDK's dispatch, the same for stdio and streamable HTTP.
 */
export class ParamsCheckingServer extends Server {
  override async connect(transport: Transport): Promise<void> {
    await super.connect(transport);
    // connect() has just installed the SDK's dispatch as onmessage; a request that fails the check never reaches it.
    const dispatch = transport.onmessage;
    transport.onmessage = (message, extra) => {
      const rejected = rejection(message);
      if (rejected) void transport.send(rejected).catch((err: Error) => transport.onerror?.(err));
      else dispatch?.(message, extra);
    };
  }
}
