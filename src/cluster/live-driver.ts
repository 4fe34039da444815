// The live cluster driver: server-side apply, delete, get, list, watch and discovery through
// @kubernetes/client-node. Every client error is turned into a Kradle error here, without the response
// bodies and headers client-node puts into its messages.
import { KubernetesObjectApi, PatchStrategy, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
// Deep import: client-node's typed models drop fields they do not know (x-kubernetes-*, `default` in CRD
// schemas) and turn timestamps into Dates; registering kinds as raw keeps objects as the server sent them.
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import {
  BadRequestError, ConflictError, ForbiddenError, KradleError, NotFoundError, sanitize, UnauthorizedError,
  UpstreamError, ValidationError, WaitingError, type ErrorDetail,
} from '../errors/index.ts';
import type { ApplyOutcome, ClusterDriver, KubeObject, ObjectRef, WatchEventType, WatchHandle } from './types.ts';

export interface LiveDriverOptions {
  kubeConfig: KubeConfig;
  fieldManager?: string;
  /** How long a discovery answer is trusted (CRD changes made through this driver refresh it at once). */
  discoveryTtlMs?: number;
  /** Watch reconnect back-off. */
  backoff?: { initialMs: number; maxMs: number };
}

export interface LiveDriver extends ClusterDriver {
  /** Forgets cached discovery, e.g. after CRDs were installed by someone else. */
  refreshDiscovery(): void;
}

class ObjectApi extends KubernetesObjectApi {
  static create(kc: KubeConfig): ObjectApi {
    const api = kc.makeApiClient(ObjectApi);
    api.setDefaultNamespace(kc);
    return api;
  }
  resourceOf(apiVersion: string, kind: string) {
    return this.resource(apiVersion, kind);
  }
  forget(apiVersion?: string): void {
    if (apiVersion === undefined) this.apiVersionResourceCache = {};
    else delete this.apiVersionResourceCache[apiVersion];
  }
}

const RAW = { serialize: (d: unknown) => d, deserialize: (d: unknown) => d };
const rawKinds = new Set<string>();

function keepRaw(apiVersion: string, kind: string): void {
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

const codeOf = (err: unknown): number | undefined => {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  return typeof e?.statusCode === 'number' ? e.statusCode : undefined;
};
const notServed = (err: unknown) => err instanceof Error && /Unrecognized API version and kind/.test(err.message);
const isAbsent = (err: unknown) => codeOf(err) === 404 || notServed(err);

interface StatusBody {
  reason?: string;
  details?: { causes?: { reason?: string; message?: string; field?: string }[] };
}

function statusBody(body: unknown): StatusBody | undefined {
  try {
    const parsed: unknown = typeof body === 'string' ? JSON.parse(body) : body;
    return parsed && typeof parsed === 'object' ? (parsed as StatusBody) : undefined;
  } catch {
    return undefined;
  }
}

/** Maps a client-node error to a Kradle error; only the Status reason and cause fields are kept. */
export function toKradleError(err: unknown, what: string): KradleError {
  if (err instanceof KradleError) return err;
  const code = codeOf(err);
  if (code === undefined) {
    const text = err instanceof Error ? err.message : String(err);
    return new UpstreamError(sanitize(`${what}: ${text.split('\n')[0]}`).slice(0, 400));
  }
  const status = statusBody((err as { body?: unknown }).body);
  const reason = typeof status?.reason === 'string' && /^\w+$/.test(status.reason) ? status.reason : `HTTP ${code}`;
  // Cause messages may echo values (a Secret's data in an Invalid value); only conflicts keep theirs.
  const details: ErrorDetail[] = (status?.details?.causes ?? []).map((c) => ({
    code: String(c.reason ?? reason),
    message: c.reason === 'FieldManagerConflict' ? sanitize(String(c.message ?? '')) : String(c.reason ?? reason),
    ...(c.field ? { field: String(c.field) } : {}),
  }));
  const conflicts = details.filter((d) => d.code === 'FieldManagerConflict').map((d) => `${d.field} (${d.message})`);
  const message = sanitize(`${what}: ${reason} (HTTP ${code})${conflicts.length ? `: ${conflicts.join(', ')}` : ''}`);
  const opts = { details };
  if (code === 404) return new NotFoundError(message, opts);
  if (code === 409) return new ConflictError(message, opts);
  if (code === 400) return new BadRequestError(message, opts);
  if (code === 422) return new ValidationError(message, opts);
  if (code === 401) return new UnauthorizedError(message, opts);
  if (code === 403) return new ForbiddenError(message, opts);
  return new UpstreamError(message, opts);
}

const describe = (r: ObjectRef) => `${r.apiVersion} ${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
const refOf = (o: KubeObject): ObjectRef => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) });
const header = (r: ObjectRef) => ({ apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) } });
const isCrd = (o: { apiVersion: string; kind: string }) => o.apiVersion === 'apiextensions.k8s.io/v1' && o.kind === 'CustomResourceDefinition';

export function createLiveDriver(opts: LiveDriverOptions): LiveDriver {
  const api = ObjectApi.create(opts.kubeConfig);
  const fieldManager = opts.fieldManager ?? 'kradle';
  const ttl = opts.discoveryTtlMs ?? 30_000;
  const served = new Map<string, { value: boolean; at: number }>();

  const refreshDiscovery = () => {
    served.clear();
    api.forget();
  };

  async function servesKind(apiVersion: string, kind: string): Promise<boolean> {
    const key = `${apiVersion}/${kind}`;
    const hit = served.get(key);
    if (hit && Date.now() - hit.at < ttl) return hit.value;
    api.forget(apiVersion);
    let value: boolean;
    try {
      value = (await api.resourceOf(apiVersion, kind)) !== undefined;
    } catch (err) {
      if (codeOf(err) !== 404) throw toKradleError(err, `discover ${apiVersion} ${kind}`);
      value = false;
    }
    served.set(key, { value, at: Date.now() });
    return value;
  }

  async function get(ref: ObjectRef): Promise<KubeObject | undefined> {
    keepRaw(ref.apiVersion, ref.kind);
    try {
      return (await api.read(header(ref))) as unknown as KubeObject;
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw toKradleError(err, `get ${describe(ref)}`);
    }
  }

  async function apply(obj: KubeObject, o: { force?: boolean } = {}): Promise<ApplyOutcome> {
    const ref = refOf(obj);
    keepRaw(ref.apiVersion, ref.kind);
    const before = await get(ref);
    let live: KubeObject;
    try {
      const body = structuredClone(obj) as unknown as KubernetesObject;
      live = (await api.patch(body, undefined, undefined, fieldManager, o.force ?? false, PatchStrategy.ServerSideApply)) as unknown as KubeObject;
    } catch (err) {
      if (isAbsent(err) && !(await servesKind(ref.apiVersion, ref.kind))) {
        throw new WaitingError(`apply ${describe(ref)}: the cluster does not serve ${ref.apiVersion} ${ref.kind} (is its CRD installed?)`, {
          details: [{ code: 'KIND_NOT_SERVED', message: `${ref.apiVersion} ${ref.kind} is not served` }],
        });
      }
      throw toKradleError(err, `apply ${describe(ref)}`);
    }
    if (isCrd(obj)) refreshDiscovery();
    const action = !before ? 'created' : before.metadata.resourceVersion !== live.metadata.resourceVersion ? 'configured' : 'unchanged';
    return { ref, action, live };
  }

  async function del(ref: ObjectRef): Promise<'deleted' | 'absent'> {
    keepRaw(ref.apiVersion, ref.kind);
    try {
      await api.delete(header(ref), undefined, undefined, undefined, undefined, 'Background');
    } catch (err) {
      if (isAbsent(err)) return 'absent';
      throw toKradleError(err, `delete ${describe(ref)}`);
    } finally {
      if (isCrd(ref)) refreshDiscovery();
    }
    return 'deleted';
  }

  async function listWithVersion(apiVersion: string, kind: string, o: { namespace?: string; labelSelector?: string }) {
    keepRaw(apiVersion, kind);
    try {
      const res = await api.list(apiVersion, kind, o.namespace, undefined, undefined, undefined, undefined, o.labelSelector);
      // Items of built-in lists carry no apiVersion/kind.
      const items = res.items.map((i) => ({ apiVersion, kind, ...i }) as unknown as KubeObject);
      return { items, resourceVersion: res.metadata?.resourceVersion ?? '' };
    } catch (err) {
      if (notServed(err) || (codeOf(err) === 404 && !(await servesKind(apiVersion, kind)))) return { items: [], resourceVersion: '' };
      throw toKradleError(err, `list ${apiVersion} ${kind}`);
    }
  }

  async function collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    let resource;
    try {
      resource = await api.resourceOf(apiVersion, kind);
    } catch (err) {
      throw toKradleError(err, `discover ${apiVersion} ${kind}`);
    }
    if (!resource) throw new WaitingError(`watch ${apiVersion} ${kind}: the cluster does not serve it`, { details: [{ code: 'KIND_NOT_SERVED', message: `${apiVersion} ${kind} is not served` }] });
    const root = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${root}${ns}/${resource.name}`;
  }

  return {
    mode: 'live',
    apply,
    delete: del,
    get,
    list: async (apiVersion, kind, o = {}) => (await listWithVersion(apiVersion, kind, o)).items,
    servesKind,
    refreshDiscovery,
    async watch(apiVersion, kind, o, onEvent, onError) {
      const path = await collectionPath(apiVersion, kind, o.namespace);
      return startWatch({
        kubeConfig: opts.kubeConfig, path, labelSelector: o.labelSelector,
        backoff: opts.backoff ?? { initialMs: 200, maxMs: 10_000 },
        list: () => listWithVersion(apiVersion, kind, o),
        onEvent,
        onError: (err) => onError?.(toKradleError(err, `watch ${apiVersion} ${kind}`)),
      });
    },
  };
}

interface WatchLoop {
  kubeConfig: KubeConfig;
  path: string;
  labelSelector?: string;
  backoff: { initialMs: number; maxMs: number };
  list(): Promise<{ items: KubeObject[]; resourceVersion: string }>;
  onEvent(type: WatchEventType, obj: KubeObject): void;
  onError(err: unknown): void;
}

/**
 * List, then watch from the list's resourceVersion; on a drop, resume from the last version seen (with
 * back-off); on 410 Gone, re-list and emit the difference, so a consumer misses nothing.
 */
async function startWatch(w: WatchLoop): Promise<WatchHandle> {
  const known = new Map<string, KubeObject>();
  const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  let rv = '';
  let stopped = false;
  let relistNeeded = true;
  let delay = w.backoff.initialMs;
  let timer: NodeJS.Timeout | undefined;
  let controller: AbortController | undefined;

  const relist = async () => {
    const { items, resourceVersion } = await w.list();
    const seen = new Set<string>();
    for (const o of items) {
      const k = keyOf(o);
      seen.add(k);
      const prev = known.get(k);
      known.set(k, o);
      if (!prev) w.onEvent('ADDED', o);
      else if (prev.metadata.resourceVersion !== o.metadata.resourceVersion) w.onEvent('MODIFIED', o);
    }
    for (const [k, o] of known) {
      if (seen.has(k)) continue;
      known.delete(k);
      w.onEvent('DELETED', o);
    }
    rv = resourceVersion;
    relistNeeded = false;
  };

  const onLine = (type: string, obj: KubeObject & { code?: number }) => {
    if (type === 'ERROR') {
      if (obj?.code === 410) relistNeeded = true;
      else w.onError(Object.assign(new Error('watch error event'), { code: obj?.code }));
      return;
    }
    if (obj?.metadata?.resourceVersion) rv = obj.metadata.resourceVersion;
    delay = w.backoff.initialMs;
    if (type === 'BOOKMARK') return;
    if (type === 'DELETED') known.delete(keyOf(obj));
    else known.set(keyOf(obj), obj);
    w.onEvent(type as WatchEventType, obj);
  };

  const schedule = (wait: number) => {
    if (stopped) return;
    timer = setTimeout(() => void connect(), wait);
  };

  const connect = async () => {
    if (stopped) return;
    try {
      if (relistNeeded) await relist();
      const query: Record<string, string | boolean> = { resourceVersion: rv, allowWatchBookmarks: true };
      if (w.labelSelector) query.labelSelector = w.labelSelector;
      controller = await new Watch(w.kubeConfig).watch(w.path, query, onLine, (err: unknown) => {
        if (stopped) return;
        if (codeOf(err) === 410) relistNeeded = true;
        if (err) w.onError(err);
        // A clean close (server timeout, or 410 after its ERROR event) resumes at once; failures back off.
        schedule(err ? nextDelay() : 0);
      });
    } catch (err) {
      if (stopped) return;
      w.onError(err);
      schedule(nextDelay());
    }
  };

  const nextDelay = () => {
    const wait = delay * (1 + Math.random() * 0.2);
    delay = Math.min(delay * 2, w.backoff.maxMs);
    return wait;
  };

  await relist();
  await connect();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      controller?.abort();
    },
  };
}
