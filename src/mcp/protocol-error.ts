import { McpError } from '@modelcontextprotocol/sdk/types.js';

/**
 * A JSON-RPC error for a handler to throw, its message carried bare. SDK 1.x's McpError puts "MCP error <code>: "
 * into its message, its server sends that message as is, and its client's McpError prefixes it again
 * (typescript-sdk#2786); the wire convention (SDK 2) is the bare message, so a client shows the prefix once.
 */
export class ProtocolError extends McpError {
  constructor(code: number, message: string, data?: unknown) {
    super(code, message, data);
    this.message = message;
  }
}
