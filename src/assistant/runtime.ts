import { Ajv } from 'ajv';
import { BadRequestError, ForbiddenError, ValidationError } from '../errors/index.ts';
import type { ConfigPort, SecretsPort } from '../api/deps.ts';
import type { Store } from '../store/types.ts';
import { providerFailed } from './errors.ts';
import { complete, stream, type ChatMessage, type FunctionTool, type ModelCallOptions, type ToolCall } from './model-client.ts';
import { resolveModel, type ModelTarget } from './provider.ts';
import { createSessionStore, type SessionInfo, type StoredMessage } from './sessions.ts';

/** Tools a call may offer the model: Kradle's MCP tools, run as the caller. */
export interface Toolbox {
  /** Definitions of the tools named, or a 400 naming an unknown one. */
  select(names: string[]): FunctionTool[];
  run(name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string }>;
}

export interface AssistantDeps {
  store: Pick<Store, 'query' | 'transaction'>;
  config: ConfigPort;
  secrets?: SecretsPort;
  model?: ModelCallOptions;
}

interface CommonOptions {
  org: string;
  system?: string;
  /** Names of Kradle's MCP tools the model may call (only when the provider's spec.allowTools is true). */
  tools?: string[];
  model?: string;
  /** AgentProviderConfig name; the org's default one when absent. */
  provider?: string;
  toolbox?: Toolbox;
}

export interface ChatOptions extends CommonOptions {
  sessionId: string;
  /** The turn's new messages; the session's stored history goes before them. */
  messages: StoredMessage[];
}

export interface GenerateOptions extends CommonOptions {
  prompt: string;
  schema?: Record<string, unknown>;
}

export type ChatChunk =
  | { type: 'delta'; text: string }
  | { type: 'tool'; name: string; isError: boolean }
  | { type: 'done'; sessionId: string; model: string; message: StoredMessage };

const SESSION_ID = /^[\w.:-]{1,128}$/;
const ROLES = new Set(['user', 'assistant', 'system']);
const MAX_TOOL_ROUNDS = 5;
const ajv = new Ajv({ allErrors: true, strict: false });

function checkMessages(messages: unknown): StoredMessage[] {
  if (!Array.isArray(messages) || !messages.length) throw new ValidationError('messages must be a non-empty array of {role, content}', { details: [{ code: 'REQUIRED', message: 'messages is required', field: 'messages' }] });
  messages.forEach((m, i) => {
    const ok = m && typeof m === 'object' && ROLES.has((m as StoredMessage).role) && typeof (m as StoredMessage).content === 'string';
    if (!ok) throw new ValidationError(`messages[${i}] must be {role: user|assistant|system, content: string}`, { details: [{ code: 'MESSAGE', message: 'role user, assistant or system and a string content', field: `messages[${i}]` }] });
  });
  return (messages as StoredMessage[]).map(({ role, content }) => ({ role, content }));
}

function toolsFor(target: ModelTarget, opts: CommonOptions): FunctionTool[] {
  if (!opts.tools?.length) return [];
  if (!target.allowTools) throw new ForbiddenError(`AgentProviderConfig ${target.provider} does not allow tools (spec.allowTools)`, { code: 'TOOLS_NOT_ALLOWED' });
  if (!opts.toolbox) throw new BadRequestError('tools are not available on this call');
  return opts.toolbox.select(opts.tools);
}

async function runCalls(toolbox: Toolbox, calls: ToolCall[], onTool?: (name: string, isError: boolean) => void): Promise<ChatMessage[]> {
  const out: ChatMessage[] = [];
  for (const call of calls) {
    let args: Record<string, unknown> = {};
    try {
      args = call.function.arguments ? (JSON.parse(call.function.arguments) as Record<string, unknown>) : {};
    } catch {
      /* the tool's own schema check reports the bad arguments to the model */
    }
    const result = await toolbox.run(call.function.name, args);
    onTool?.(call.function.name, result.isError);
    out.push({ role: 'tool', tool_call_id: call.id, content: result.text });
  }
  return out;
}

/** §11: chat (streamed), generate (structured), listSessions, clearSession; sessions persist in Postgres per org. */
export function createAssistantRuntime(deps: AssistantDeps) {
  const sessions = createSessionStore(deps.store);
  const target = (opts: CommonOptions) => resolveModel(deps.config.current(), deps.secrets, opts.org, { provider: opts.provider, model: opts.model });

  async function* chat(opts: ChatOptions): AsyncGenerator<ChatChunk> {
    if (typeof opts.sessionId !== 'string' || !SESSION_ID.test(opts.sessionId)) throw new ValidationError('sessionId must be 1-128 characters of [A-Za-z0-9_.:-]', { details: [{ code: 'SESSION_ID', message: 'malformed sessionId', field: 'sessionId' }] });
    const turn = checkMessages(opts.messages);
    const t = await target(opts);
    const tools = toolsFor(t, opts);
    const history = await sessions.history(opts.org, opts.sessionId);
    const messages: ChatMessage[] = [...(opts.system ? [{ role: 'system' as const, content: opts.system }] : []), ...history, ...turn];
    let reply = '';
    for (let round = 0; ; round++) {
      let calls: ToolCall[] = [];
      for await (const part of stream(t, { messages, tools }, deps.model)) {
        if (part.type === 'delta') {
          reply += part.text;
          yield part;
        } else calls = part.calls;
      }
      if (!calls.length) break;
      if (round >= MAX_TOOL_ROUNDS) throw providerFailed(t.provider, `asked for tools more than ${MAX_TOOL_ROUNDS} times in one turn`);
      const chunks: ChatChunk[] = [];
      messages.push({ role: 'assistant', content: null, tool_calls: calls }, ...(await runCalls(opts.toolbox!, calls, (name, isError) => chunks.push({ type: 'tool', name, isError }))));
      yield* chunks;
    }
    const message: StoredMessage = { role: 'assistant', content: reply };
    await sessions.append(opts.org, opts.sessionId, [...turn, message]);
    yield { type: 'done', sessionId: opts.sessionId, model: t.model, message };
  }

  async function generate(opts: GenerateOptions): Promise<{ id: string; model: string; output: unknown }> {
    if (typeof opts.prompt !== 'string' || !opts.prompt) throw new ValidationError('prompt must be a non-empty string', { details: [{ code: 'REQUIRED', message: 'prompt is required', field: 'prompt' }] });
    if (opts.schema !== undefined && (!opts.schema || typeof opts.schema !== 'object' || Array.isArray(opts.schema))) throw new ValidationError('schema must be a JSON Schema object', { details: [{ code: 'SCHEMA', message: 'schema must be an object', field: 'schema' }] });
    let validate: ReturnType<Ajv['compile']> | undefined;
    try {
      validate = opts.schema && ajv.compile(opts.schema);
    } catch (err) {
      throw new ValidationError(`schema is not a valid JSON Schema: ${(err as Error).message}`, { details: [{ code: 'SCHEMA', message: 'invalid JSON Schema', field: 'schema' }] });
    }
    const t = await target(opts);
    const tools = toolsFor(t, opts);
    const messages: ChatMessage[] = [...(opts.system ? [{ role: 'system' as const, content: opts.system }] : []), { role: 'user', content: opts.prompt }];
    const responseFormat = opts.schema && { type: 'json_schema', json_schema: { name: 'result', schema: opts.schema } };
    for (let round = 0; ; round++) {
      const { message } = await complete(t, { messages, tools, responseFormat }, deps.model);
      if (message.tool_calls?.length) {
        if (round >= MAX_TOOL_ROUNDS) throw providerFailed(t.provider, `asked for tools more than ${MAX_TOOL_ROUNDS} times`);
        messages.push(message, ...(await runCalls(opts.toolbox!, message.tool_calls)));
        continue;
      }
      const text = message.content ?? '';
      let output: unknown = { text };
      if (validate) {
        try {
          output = JSON.parse(text);
        } catch {
          throw providerFailed(t.provider, 'answered something other than JSON for the schema');
        }
        if (!validate(output)) throw providerFailed(t.provider, "answered JSON that does not match the schema");
      }
      const id = await sessions.saveArtifact(opts.org, { kind: validate ? 'json' : 'text', model: t.model, content: output });
      return { id, model: t.model, output };
    }
  }

  return {
    chat,
    generate,
    listSessions: (org: string): Promise<SessionInfo[]> => sessions.list(org),
    clearSession: (org: string, sessionId: string): Promise<boolean> => sessions.clear(org, sessionId),
    artifact: (org: string, id: string) => sessions.artifact(org, id),
  };
}

export type AssistantRuntime = ReturnType<typeof createAssistantRuntime>;
