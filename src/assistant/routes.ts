import { BadRequestError, NotFoundError, sanitize } from '../errors/index.ts';
import { readJson } from '../api/body.ts';
import type { ApiContext, RouteDef } from '../api/context.ts';
import type { ApiDeps } from '../api/deps.ts';
import { toResponse } from '../api/error-middleware.ts';
import { callerApi, mcpToolbox } from '../mcp/index.ts';
import { ProviderRateLimitedError } from './errors.ts';
import { createAssistantRuntime, type ChatChunk } from './runtime.ts';

const P = '/api/orgs/:org/assistant';

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !v) throw new BadRequestError(`${field} must be a non-empty string`, { details: [{ code: 'SHAPE', message: 'a non-empty string', field }] });
  return v;
}

/** spec §11 takes tool definitions; here they are names of Kradle's MCP tools (or {name} / {function: {name}}). */
function toolNames(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const bad = () => new BadRequestError('tools must be an array of Kradle tool names', { details: [{ code: 'SHAPE', message: 'e.g. ["kradle_list_stacks"]', field: 'tools' }] });
  if (!Array.isArray(v)) throw bad();
  return v.map((t) => {
    const name = typeof t === 'string' ? t : (t as { name?: unknown; function?: { name?: unknown } })?.name ?? (t as { function?: { name?: unknown } })?.function?.name;
    if (typeof name !== 'string' || !name) throw bad();
    return name;
  });
}

function common(ctx: ApiContext, body: Record<string, unknown>) {
  const org = ctx.params.org!;
  return {
    org, system: optionalString(body, 'system'), model: optionalString(body, 'model'), provider: optionalString(body, 'provider'),
    tools: toolNames(body.tools), toolbox: mcpToolbox(callerApi(ctx), org),
  };
}

/** A provider's 429 carries Retry-After to the caller; the envelope is the error middleware's. */
async function withRetryAfter(ctx: ApiContext, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ProviderRateLimitedError) ctx.set('Retry-After', String(err.retryAfterSeconds));
    throw err;
  }
}

const sse = (chunk: ChatChunk | { type: 'error'; error: unknown }) => `event: ${chunk.type}\ndata: ${JSON.stringify(chunk)}\n\n`;

/** The assistant routes of spec §12.3 over the runtime of §11. */
export function assistantRoutes(deps: ApiDeps): RouteDef[] {
  const runtime = createAssistantRuntime({ store: deps.store, config: deps.config, secrets: deps.secrets });
  return [
    {
      method: 'POST', path: `${P}/chat`, auth: 'org-write',
      summary: 'Chat ({sessionId, messages, system?, tools?, model?, provider?}) streamed as server-sent events: delta, tool, done (or error); the session persists',
      handler: (ctx) => withRetryAfter(ctx, async () => {
        const body = await readJson(ctx);
        const chunks = runtime.chat({ ...common(ctx, body), sessionId: body.sessionId as string, messages: body.messages as never });
        // The first chunk is awaited before any header is sent: a provider refusing at once gets its real status (429/502/504).
        const first = await chunks.next();
        ctx.status = 200;
        ctx.respond = false;
        const res = ctx.res;
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no', 'X-Request-Id': ctx.state.requestId });
        try {
          if (!first.done) res.write(sse(first.value));
          for await (const chunk of chunks) res.write(sse(chunk));
        } catch (err) {
          const { status, body: envelope } = toResponse(err);
          if (status >= 500) ctx.state.log.warn({ code: envelope.error.code, message: sanitize(envelope.error.message) }, 'assistant stream failed');
          res.write(sse({ type: 'error', ...envelope }));
        }
        res.end();
      }),
    },
    {
      method: 'POST', path: `${P}/generate`, auth: 'org-write',
      summary: 'Structured generation ({prompt, schema?, system?, tools?, model?, provider?}): {id, model, output}; the output is kept as an artifact',
      handler: (ctx) => withRetryAfter(ctx, async () => {
        const body = await readJson(ctx);
        ctx.body = await runtime.generate({ ...common(ctx, body), prompt: body.prompt as string, schema: body.schema as Record<string, unknown> | undefined });
      }),
    },
    {
      method: 'GET', path: `${P}/sessions`, auth: 'org-read', runtimeOnly: true, summary: "The org's assistant sessions, newest first",
      async handler(ctx) {
        ctx.body = { sessions: await runtime.listSessions(ctx.params.org!) };
      },
    },
    {
      method: 'DELETE', path: `${P}/sessions/:sessionId`, auth: 'org-write', summary: 'Clear a session and its messages',
      async handler(ctx) {
        const { org, sessionId } = ctx.params as { org: string; sessionId: string };
        if (!(await runtime.clearSession(org, sessionId))) throw new NotFoundError(`assistant session ${sessionId} not found in org ${org}`);
        ctx.body = { cleared: true, sessionId };
      },
    },
    {
      method: 'GET', path: `${P}/artifacts/:id`, auth: 'org-read', runtimeOnly: true, summary: 'An artifact of the assistant (the output of a generate call)',
      async handler(ctx) {
        const { org, id } = ctx.params as { org: string; id: string };
        const artifact = /^[0-9a-f-]{36}$/.test(id) ? await runtime.artifact(org, id) : undefined;
        if (!artifact) throw new NotFoundError(`assistant artifact ${id} not found in org ${org}`);
        ctx.body = artifact;
      },
    },
  ];
}
