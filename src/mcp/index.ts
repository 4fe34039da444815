// mcp/ owns the MCP server of spec §5 (14 tools, 3 prompts, 2 resources) over stdio and streamable HTTP.
// It holds no domain logic and never touches the store: every tool is a call to the Kradle HTTP API with the caller's credentials.
export { createMcpServer, type McpSession } from './server.ts';
export { mcpRoutes } from './http-route.ts';
export { listStacks, type StackView } from './stacks.ts';
export { TOOLS, type ToolDef } from './tools.ts';
export { mcpToolbox } from './toolbox.ts';
export { callerApi } from './caller-api.ts';
