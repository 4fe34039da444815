import { BadRequestError } from '../../errors/index.ts';
import type { ApiContext, RouteDef } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import type { EventHub } from '../event-hub.ts';
import type { ApiMetrics } from '../metrics.ts';
import { createSseClient } from '../sse-client.ts';

function lastEventId(ctx: ApiContext): number | undefined {
  const raw = ctx.get('last-event-id') || (typeof ctx.query.lastEventId === 'string' ? ctx.query.lastEventId : '');
  if (!raw) return undefined;
  const n = Number(raw);
  // Past 2^53 the id cannot be an event seq, and the store would refuse it only after the stream opened.
  if (!Number.isSafeInteger(n) || n < 0) throw new BadRequestError('Last-Event-ID must be a non-negative integer (an event seq)');
  return n;
}

/** SSE streams of store events; ids are the store's seq, so clients resume with Last-Event-ID. */
export function eventRoutes(deps: ApiDeps, hub: EventHub, metrics: ApiMetrics): RouteDef[] {
  async function stream(ctx: ApiContext, org: string | undefined): Promise<void> {
    let from = lastEventId(ctx);
    const named = ctx.query.named !== 'false';
    const log = ctx.state.log;
    // Node never flushes the headers of a HEAD response that is only written to, so a stream would hang
    // the client and hold a hub slot: answer the headers alone.
    if (ctx.method === 'HEAD') {
      ctx.status = 200;
      ctx.type = 'text/event-stream';
      ctx.set('Cache-Control', 'no-cache');
      return;
    }
    // An id the store never reached (a restored or reset database): waiting for the sequence to catch up
    // would silently drop every event until then. The client is told to reset and gets all that is kept.
    let reset: { lastEventId: number; latest: number } | undefined;
    const latest = await deps.store.events.latestSeq();
    if (from !== undefined && from > latest) [reset, from] = [{ lastEventId: from, latest }, 0];
    // A stream without Last-Event-ID starts after the newest event, fixed before the headers go out: fixed after,
    // an event committed between the client seeing 200 and that read fell before the start and was never sent
    // (seen once in CI: a test published three events right after the 200 and waited for them forever).
    from ??= latest;
    ctx.respond = false;
    const res = ctx.res;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Request-Id': ctx.state.requestId,
    });
    res.write(`retry: 2000\ndata: ${JSON.stringify({ type: 'connected' })}\n\n`);
    if (reset) res.write(`${named ? 'event: reset\n' : ''}data: ${JSON.stringify({ type: 'reset', ...reset })}\n\n`);
    metrics.sseClients.inc();
    // A stream outlives the request that authorized it: its token or session is asked again every few seconds,
    // and a revoked or expired one ends the stream (the browser's reconnect then gets a 401 and stops).
    const credential = ctx.state.credential!;
    const recheck = setInterval(() => {
      credential.stillValid().then((ok) => ok || client.close('token or session revoked or expired'), () => undefined);
    }, deps.authRecheckMs ?? 2000);
    recheck.unref();
    const client = createSseClient({
      res, events: deps.store.events, org, named, lastEventId: from, log,
      bufferLimit: deps.sseBufferLimit ?? 1000, heartbeatMs: deps.heartbeatMs ?? 15_000,
      onClose(reason) {
        clearInterval(recheck);
        hub.leave(client);
        metrics.sseClients.dec();
        log.info({ reason }, 'sse stream closed');
      },
    });
    ctx.req.on('close', () => client.close('client disconnected'));
    try {
      await hub.join(client);
      // A client gone while joining closed before the hub knew it: take it out again.
      if (res.writableEnded || res.destroyed) return hub.leave(client);
      await client.start();
    } catch (err) {
      // Headers are sent: the envelope cannot follow, so end the stream; the client resumes from its last id.
      log.error({ err: err instanceof Error ? err.message : String(err) }, 'sse stream failed to read events');
      client.close('store error');
    }
  }

  return [
    {
      method: 'GET', path: '/api/orgs/:org/events', auth: 'org-read', runtimeOnly: true, summary: 'SSE stream of the org events (id = event seq; Last-Event-ID resumes)',
      handler: (ctx) => stream(ctx, ctx.params.org!),
    },
    {
      // The original Kradle's agent stream (spec §2.1 #38): the same org stream, so its clients resume the same way.
      method: 'GET', path: '/api/orgs/:org/agents/events/stream', auth: 'org-read', runtimeOnly: true, summary: 'SSE stream of the org events, at the path of spec §2.1 #38',
      handler: (ctx) => stream(ctx, ctx.params.org!),
    },
    {
      method: 'GET', path: '/api/events', auth: 'any', summary: 'SSE stream of every event (platform token) or of the token org',
      handler: (ctx) => stream(ctx, ctx.state.principal!.org === '*' ? undefined : ctx.state.principal!.org),
    },
  ];
}
