import { sanitize } from '../errors/index.ts';
import { ProviderRateLimitedError, ProviderTimeoutError, providerFailed, retryAfterOf } from './errors.ts';
import type { ModelTarget } from './provider.ts';

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A message of the chat-completions protocol. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

export interface FunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters: unknown };
}

export interface CompletionRequest {
  messages: ChatMessage[];
  tools?: FunctionTool[];
  /** OpenAI's response_format, for structured generation. */
  responseFormat?: unknown;
}

export type StreamPart = { type: 'delta'; text: string } | { type: 'tool_calls'; calls: ToolCall[] };

export interface ModelCallOptions {
  fetch?: typeof fetch;
  /** Deadline of the whole call, stream included; 120 s by default. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_BODY_BYTES = 8 * 1024 * 1024;

const isTimeout = (err: unknown) => (err as Error)?.name === 'TimeoutError';

/** The provider answered: a 2xx response, or the error its status maps to (its body is never read). */
async function post(target: ModelTarget, body: Record<string, unknown>, opts: ModelCallOptions): Promise<{ res: Response; ms: number }> {
  const ms = target.timeoutMs ?? opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: body.stream ? 'text/event-stream' : 'application/json' };
  if (target.key) headers.authorization = `Bearer ${target.key}`;
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(target.url, { method: 'POST', headers, body: JSON.stringify({ model: target.model, ...body }), signal: AbortSignal.timeout(ms) });
  } catch (err) {
    if (isTimeout(err)) throw new ProviderTimeoutError(target.provider, ms);
    throw providerFailed(target.provider, `could not be reached (${sanitize((err as { cause?: { code?: string } }).cause?.code ?? 'connection failed')})`);
  }
  if (res.ok) return { res, ms };
  await res.body?.cancel().catch(() => {});
  if (res.status === 429) throw new ProviderRateLimitedError(target.provider, retryAfterOf(res.headers.get('retry-after')));
  throw providerFailed(target.provider, `answered ${res.status}`);
}

function requestBody(req: CompletionRequest, stream: boolean): Record<string, unknown> {
  return { messages: req.messages, stream, ...(req.tools?.length ? { tools: req.tools } : {}), ...(req.responseFormat ? { response_format: req.responseFormat } : {}) };
}

/** One chat completion, answered whole. */
export async function complete(target: ModelTarget, req: CompletionRequest, opts: ModelCallOptions = {}): Promise<{ message: ChatMessage; usage?: unknown }> {
  const { res, ms } = await post(target, requestBody(req, false), opts);
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    if (isTimeout(err)) throw new ProviderTimeoutError(target.provider, ms);
    throw providerFailed(target.provider, 'broke off its answer');
  }
  if (text.length > MAX_BODY_BYTES) throw providerFailed(target.provider, 'answered too much');
  try {
    const parsed = JSON.parse(text) as { choices?: { message?: ChatMessage }[]; usage?: unknown };
    const message = parsed.choices?.[0]?.message;
    if (!message || typeof message !== 'object') throw new Error('no choice');
    return { message: { role: 'assistant', content: message.content ?? null, ...(message.tool_calls ? { tool_calls: message.tool_calls } : {}) }, usage: parsed.usage };
  } catch {
    throw providerFailed(target.provider, 'answered something other than a chat completion');
  }
}

interface ChunkChoice {
  delta?: { content?: string | null; tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[] };
  finish_reason?: string | null;
}

/** One chat completion streamed (server-sent events of `data: {chunk}` up to `data: [DONE]`): text deltas, then any tool calls. */
export async function* stream(target: ModelTarget, req: CompletionRequest, opts: ModelCallOptions = {}): AsyncGenerator<StreamPart> {
  const { res, ms } = await post(target, requestBody(req, true), opts);
  const calls: ToolCall[] = [];
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') break;
        let choice: ChunkChoice | undefined;
        try {
          choice = (JSON.parse(data) as { choices?: ChunkChoice[] }).choices?.[0];
        } catch {
          throw providerFailed(target.provider, 'streamed something other than chat-completion chunks');
        }
        if (choice?.delta?.content) yield { type: 'delta', text: choice.delta.content };
        for (const tc of choice?.delta?.tool_calls ?? []) {
          const call = (calls[tc.index] ??= { id: tc.id ?? `call_${tc.index}`, type: 'function', function: { name: '', arguments: '' } });
          if (tc.id) call.id = tc.id;
          call.function.name += tc.function?.name ?? '';
          call.function.arguments += tc.function?.arguments ?? '';
        }
      }
    }
  } catch (err) {
    if (isTimeout(err)) throw new ProviderTimeoutError(target.provider, ms);
    if ((err as { status?: number }).status) throw err;
    throw providerFailed(target.provider, 'broke off its stream');
  }
  if (calls.length) yield { type: 'tool_calls', calls: calls.filter(Boolean) };
}
