import { BadRequestError, KradleError, NotFoundError, UpstreamError, WaitingError } from '../../errors/index.ts';
import { readJson } from '../body.ts';
import type { RouteDef } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import { queryString } from './helpers.ts';

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

class UpstreamTimeoutError extends KradleError {
  constructor(ms: number) {
    super(`the model server did not answer within ${ms} ms`, { code: 'INFERENCE_TIMEOUT', status: 504, reason: 'GatewayTimeout', disposition: 'retry' });
  }
}

/** V1 when asked (?protocol=v1) or the body is V1-shaped ({instances}); V2 for {inputs}; else the service's spec (default v2, §9.1). */
function protocolOf(query: string | undefined, body: Record<string, unknown>, declared: unknown): 'v1' | 'v2' {
  if (query !== undefined) {
    if (query !== 'v1' && query !== 'v2') throw new BadRequestError('protocol must be v1 or v2', { details: [{ code: 'PROTOCOL', message: 'protocol must be v1 or v2', field: 'protocol' }] });
    return query;
  }
  if (Array.isArray(body.instances)) return 'v1';
  if (Array.isArray(body.inputs)) return 'v2';
  return declared === 'v1' ? 'v1' : 'v2';
}

function modelPath(protocol: 'v1' | 'v2', model: string): string {
  return protocol === 'v1' ? `/v1/models/${encodeURIComponent(model)}:predict` : `/v2/models/${encodeURIComponent(model)}/infer`;
}

async function readLimited(res: Response): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_RESPONSE_BYTES) throw new UpstreamError('the model server answer is too large');
  const text = await res.text();
  if (text.length > MAX_RESPONSE_BYTES) throw new UpstreamError('the model server answer is too large');
  return text;
}

/** POST .../inference/services/:name/infer: proxy to the KServe endpoint (status.url), V1 or V2 protocol. */
export function inferenceRoutes(deps: ApiDeps): RouteDef[] {
  return [
    {
      method: 'POST', path: '/api/orgs/:org/inference/services/:name/infer', auth: 'org-write',
      summary: 'Proxy an inference request to the service (V1 :predict or V2 /infer, by ?protocol= or body); 503 until KServe reports a URL or without a cluster; 502/504 upstream',
      async handler(ctx) {
        const { org, name } = ctx.params as { org: string; name: string };
        const svc = deps.config.current()?.get('KradleInferenceService', org, name);
        if (!svc) throw new NotFoundError(`KradleInferenceService ${name} not found in org ${org}`);
        const body = await readJson(ctx);
        const declared = (svc.object.spec.predictor as { model?: { protocolVersion?: unknown } } | undefined)?.model?.protocolVersion;
        const protocol = protocolOf(queryString(ctx, 'protocol'), body, declared);
        if (!deps.inference) throw new WaitingError('inference is not configured on this server', { details: [{ code: 'INFERENCE_UNAVAILABLE', message: 'no inference port' }] });
        const endpoint = await deps.inference.endpoint(org, name);
        if (endpoint === 'plan-only') throw new WaitingError('no cluster is connected (plan-only): there is no model server to call', { details: [{ code: 'CLUSTER_PLAN_ONLY', message: 'plan-only mode' }] });
        if (!endpoint?.url) {
          const message = endpoint ? 'KServe has not reported a URL for the service yet' : 'the InferenceService is not in the cluster yet';
          throw new WaitingError(`inference service ${name} is not ready: ${message}`, { details: [{ code: 'INFERENCE_NOT_READY', message }] });
        }
        const url = new URL(modelPath(protocol, name), endpoint.url.endsWith('/') ? endpoint.url : `${endpoint.url}/`);
        const timeoutMs = deps.inference.timeoutMs ?? DEFAULT_TIMEOUT_MS;
        let res: Response;
        try {
          res = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
        } catch (err) {
          if ((err as Error).name === 'TimeoutError') throw new UpstreamTimeoutError(timeoutMs);
          throw new UpstreamError(`the model server of ${name} could not be reached`, { details: [{ code: 'UPSTREAM_UNREACHABLE', message: 'connection failed' }] });
        }
        const text = await readLimited(res).catch((err: unknown) => {
          if ((err as Error).name === 'TimeoutError') throw new UpstreamTimeoutError(timeoutMs);
          throw err;
        });
        // Upstream error bodies may carry internals (stack traces, paths): report the status, never the body.
        if (!res.ok) throw new UpstreamError(`the model server of ${name} answered ${res.status}`, { details: [{ code: 'UPSTREAM_STATUS', message: `upstream status ${res.status}` }] });
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new UpstreamError(`the model server of ${name} answered something other than JSON`, { details: [{ code: 'UPSTREAM_BODY', message: 'not JSON' }] });
        }
        ctx.set('X-Kradle-Inference-Protocol', protocol);
        ctx.body = parsed;
      },
    },
  ];
}
