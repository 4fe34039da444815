import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Ajv, type ValidateFunction } from 'ajv';
import { formatWarning, isKradleError, sanitize, type ErrorDetail } from '../errors/index.ts';
import { fieldName, schemaIssues } from '../schema/index.ts';
import { TOOLS, type ToolContext } from './tools.ts';

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new Map<string, ValidateFunction>(TOOLS.map((t) => [t.name, ajv.compile(t.inputSchema)]));

function errorResult(code: string, message: string, details: ErrorDetail[] = []): CallToolResult {
  const error = { code, message: sanitize(message), details };
  // Clients give the model the text, seldom structuredContent; what to correct is in the details (MCP spec, tools, Error Handling).
  const lines = [`${code}: ${error.message}`, ...details.map((d) => `- ${d.field ? `${d.field}: ` : ''}${sanitize(d.message)}`)];
  return { isError: true, content: [{ type: 'text', text: lines.join('\n') }], structuredContent: { error } };
}

/** An API answer or a local check that failed, as a tool error carrying the envelope's code and message. */
function toolError(err: unknown): CallToolResult {
  if (isKradleError(err)) return errorResult(err.code, err.message, err.details);
  return errorResult('INTERNAL', err instanceof Error ? err.message : String(err));
}

/** The arguments that fail the tool's schema, by argument path (resource.kind), as the API reports a document's. */
function inputErrors(validate: ValidateFunction, args: Record<string, unknown>): ErrorDetail[] {
  return schemaIssues(validate.errors ?? []).map((i) => ({ code: 'SCHEMA', field: fieldName(args, i.pointer), message: i.message }));
}

/**
 * A write's warnings (UNKNOWN_FIELD: a field it sent is ignored) once more after the answer's JSON, one line each as
 * `kradle validate` prints them: a model reads the text, and in the JSON they are easily passed over.
 */
function warningLines(warnings: unknown): string {
  if (!Array.isArray(warnings) || warnings.length === 0) return '';
  return `\n\nThe write succeeded, with ${warnings.length} warning${warnings.length === 1 ? '' : 's'}:\n${(warnings as ErrorDetail[]).map((w) => `- ${formatWarning(w)}`).join('\n')}`;
}

/** Runs one tool: its arguments checked against its JSON Schema, any failure a tool error (isError) with the envelope's code. */
export async function runTool(ctx: ToolContext, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const tool = TOOLS.find((t) => t.name === name);
  if (!tool) return errorResult('NOT_FOUND', `no tool ${name}`);
  const validate = validators.get(tool.name)!;
  if (!validate(args)) return errorResult('VALIDATION_FAILED', `invalid arguments for ${tool.name}`, inputErrors(validate, args));
  try {
    const result = await tool.run(ctx, args);
    const structured = result && typeof result === 'object' && !Array.isArray(result) ? (result as Record<string, unknown>) : { result };
    return { content: [{ type: 'text', text: JSON.stringify(result, null, 2) + warningLines(structured.warnings) }], structuredContent: structured };
  } catch (err) {
    return toolError(err);
  }
}
