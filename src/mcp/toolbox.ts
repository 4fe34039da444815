import { BadRequestError } from '../errors/index.ts';
import type { ApiClient } from '../cli/client.ts';
import { runTool } from './run-tool.ts';
import { orgResolver, TOOLS } from './tools.ts';

/** Kradle's MCP tools as chat-completion functions, run with the caller's API client in one org (the assistant's tools). */
export function mcpToolbox(api: ApiClient, org: string) {
  const ctx = { api, org: orgResolver(org) };
  return {
    select(names: string[]) {
      const unknown = names.filter((n) => !TOOLS.some((t) => t.name === n));
      if (unknown.length) throw new BadRequestError(`unknown tool(s): ${unknown.join(', ')}`, { details: unknown.map((n) => ({ code: 'UNKNOWN_TOOL', message: `no tool ${n}`, field: 'tools' })) });
      return TOOLS.filter((t) => names.includes(t.name)).map((t) => ({ type: 'function' as const, function: { name: t.name, description: t.description, parameters: t.inputSchema } }));
    },
    async run(name: string, args: Record<string, unknown>) {
      // The model works in the caller's org only: every tool takes org, and one the model makes up is replaced.
      const result = await runTool(ctx, name, { ...args, org });
      return { isError: result.isError === true, text: (result.content as { text: string }[])[0]?.text ?? '' };
    },
  };
}
