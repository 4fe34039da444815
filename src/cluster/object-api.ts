// client-node's generic object API, opened up for what Kradle needs: discovery cache control, the HTTP status
// of each answer (201 Created vs 200 OK tells an apply that created from one that updated, without a GET), and
// server-side apply to the /status subresource, which KubernetesObjectApi has no method for.
import { Agent as HttpAgent, type AgentOptions } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { HttpMethod, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import type { Configuration, RequestContext, ResponseContext } from '@kubernetes/client-node';
// Deep import: client-node's typed models drop fields they do not know (x-kubernetes-*, `default` in CRD
// schemas) and turn timestamps into Dates; registering kinds as raw keeps objects as the server sent them.
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';

const HTTP_STATUS = Symbol('httpStatus');

/**
 * Drops `metadata.managedFields` from an object the server sent, in place, as controller-runtime's caches do
 * (TransformStripManagedFields). Kradle never reads them, and during a cold pass of 10,000 objects the
 * field-ownership trees were most of the objects held per live answer.
 */
export function withoutManagedFields<T>(obj: T): T {
  const meta = (obj as { metadata?: { managedFields?: unknown } } | undefined)?.metadata;
  if (meta && 'managedFields' in meta) delete meta.managedFields;
  return obj;
}

/** The HTTP status an object came back with (undefined for objects not read through ObjectApi). */
export function httpStatusOf(obj: unknown): number | undefined {
  return obj && typeof obj === 'object' ? (obj as { [HTTP_STATUS]?: number })[HTTP_STATUS] : undefined;
}

/** How long one request may take, and how often a request the server asked to retry later is retried. */
export interface RequestPolicy {
  timeoutMs: number;
  /** Retries of a request answered 429, or 5xx with Retry-After (the server did not act on it). */
  maxRetries: number;
  /** Upper bound of one wait, whatever Retry-After says. */
  maxRetryAfterMs: number;
}

export const DEFAULT_REQUEST_POLICY: RequestPolicy = { timeoutMs: 30_000, maxRetries: 5, maxRetryAfterMs: 10_000 };

/** A request the server did not answer in time: a pass must go on (and fail that object), not hang. */
export class RequestTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`the API server did not answer within ${Math.round(timeoutMs / 100) / 10} s`);
  }
}

/**
 * The wait a 429 (API priority and fairness) or a 5xx carrying Retry-After asks for, as client-go honours
 * it; undefined for any other failure, which is the caller's to handle.
 */
function retryAfterMs(err: unknown): number | undefined {
  const e = err as { code?: unknown; headers?: Record<string, string> };
  if (typeof e?.code !== 'number') return undefined;
  const header = e.headers?.['retry-after'];
  if (e.code !== 429 && !(e.code >= 500 && header !== undefined)) return undefined;
  const seconds = Number(header);
  if (header !== undefined && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = header === undefined ? NaN : Date.parse(header);
  return Number.isNaN(date) ? 1000 : Math.max(0, date - Date.now());
}

/**
 * A KubeConfig whose requests share kept-alive connections. client-node makes a new agent, and so a new TCP
 * (and TLS) connection, for every request; a cold apply of thousands of objects spent a millisecond or more
 * per object on connecting alone. Agents are shared per set of TLS options; proxied clusters keep theirs.
 */
class KeepAliveKubeConfig extends KubeConfig {
  private readonly agents = new Map<string, HttpAgent>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const made = context.getAgent();
    if (this.getCurrentCluster()?.proxyUrl || !(made instanceof HttpAgent)) return;
    const options = (made as HttpAgent & { options: AgentOptions & Record<string, unknown> }).options;
    const https = made instanceof HttpsAgent;
    const tls = https ? JSON.stringify(['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'].map((k) => options[k] ?? null)) : '';
    const key = `${https ? 'https' : 'http'}:${tls}`;
    let shared = this.agents.get(key);
    if (!shared) {
      // No maxSockets: a request queued for a socket would get one node-fetch still reads the end of ("Premature close").
      const opts = { ...options, keepAlive: true };
      shared = https ? new HttpsAgent(opts) : new HttpAgent(opts);
      this.agents.set(key, shared);
    }
    context.setAgent(shared);
  }
}

function dropIdleConnections(agent: unknown): void {
  if (!(agent instanceof HttpAgent)) return;
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
}

function keepAlive(kc: KubeConfig): KubeConfig {
  const copy = new KeepAliveKubeConfig();
  copy.loadFromOptions({ clusters: kc.clusters, contexts: kc.contexts, users: kc.users, currentContext: kc.currentContext });
  return copy;
}

export class ObjectApi extends KubernetesObjectApi {
  private policy: RequestPolicy = DEFAULT_REQUEST_POLICY;

  static create(kc: KubeConfig, policy: Partial<RequestPolicy> = {}): ObjectApi {
    const api = keepAlive(kc).makeApiClient(ObjectApi);
    api.setDefaultNamespace(kc);
    api.policy = { ...DEFAULT_REQUEST_POLICY, ...policy };
    return api;
  }

  /** Every request of this API (discovery too) gets a deadline and honours Retry-After a bounded number of times. */
  protected override async requestPromise<T extends KubernetesObject>(ctx: RequestContext, type?: string, options?: Configuration): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      // A timer cleared on the answer, not AbortSignal.timeout: that one fires (and builds a DOMException) for every
      // request long after it was answered, which a cold apply of thousands of objects paid for in bulk.
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), this.policy.timeoutMs);
      timer.unref?.();
      const signal = deadline.signal;
      ctx.setSignal(signal);
      try {
        return await super.requestPromise<T>(ctx, type, options);
      } catch (err) {
        if (signal.aborted) throw new RequestTimeoutError(this.policy.timeoutMs);
        // A kept-alive connection the server closed as we reused it: the request never reached it, send it again.
        // The connections idle as long as that one (after the event loop was busy, for instance) are stale too:
        // drop them all, or each retry would meet the next.
        if (attempt < this.policy.maxRetries && /ECONNRESET|socket hang up/.test(String((err as Error)?.message))) {
          dropIdleConnections(ctx.getAgent());
          continue;
        }
        const wait = retryAfterMs(err);
        if (wait === undefined || attempt >= this.policy.maxRetries) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, this.policy.maxRetryAfterMs)));
      } finally {
        clearTimeout(timer);
      }
    }
  }

  resourceOf(apiVersion: string, kind: string) {
    return this.resource(apiVersion, kind);
  }

  forget(apiVersion?: string): void {
    if (apiVersion === undefined) this.apiVersionResourceCache = {};
    else delete this.apiVersionResourceCache[apiVersion];
  }

  /** Server-side apply of `body.status` to the status subresource (forced: the status is Kradle's alone). */
  async applyStatus(body: KubernetesObject, fieldManager: string): Promise<KubernetesObject> {
    const path = `${await this.specUriPath(body, 'patch')}/status`;
    const ctx = this.configuration.baseServer.makeRequestContext(path, HttpMethod.PATCH);
    ctx.setHeaderParam('Accept', 'application/json, */*;q=0.8');
    ctx.setHeaderParam('Content-Type', PatchStrategy.ServerSideApply);
    ctx.setQueryParam('fieldManager', fieldManager);
    ctx.setQueryParam('force', 'true');
    ctx.setBody(JSON.stringify(body));
    return this.requestPromise(ctx);
  }

  protected override async processResponse<T extends KubernetesObject>(response: ResponseContext, type?: string): Promise<T> {
    const out = await super.processResponse<T>(response, type);
    if (out && typeof out === 'object') {
      withoutManagedFields(out);
      const items = (out as { items?: unknown }).items;
      if (Array.isArray(items)) for (const item of items) withoutManagedFields(item);
      Object.defineProperty(out, HTTP_STATUS, { value: response.httpStatusCode, enumerable: false });
    }
    return out;
  }
}

const RAW = { serialize: (d: unknown) => d, deserialize: (d: unknown) => d };
const rawKinds = new Set<string>();

export function keepRaw(apiVersion: string, kind: string): void {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  for (const k of [kind, `${kind}List`]) {
    if (rawKinds.has(`${apiVersion}/${k}`)) continue;
    rawKinds.add(`${apiVersion}/${k}`);
    try {
      ObjectSerializer.registerModel({ group, version, kind: k }, RAW);
    } catch {
      // Already registered by another driver instance in this process.
    }
  }
}
