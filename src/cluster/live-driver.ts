// The live cluster driver: server-side apply, status writes, delete, get, list, watch and discovery through
// @kubernetes/client-node. Every client error is turned into a Kradle error here (kube-errors.ts).
import { PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { WaitingError } from '../errors/index.ts';
import { objectIdentity } from './apply-order.ts';
import { codeOf, isAbsent, notServed, toKradleError } from './kube-errors.ts';
import { httpStatusOf, keepRaw, ObjectApi } from './object-api.ts';
import type { ApplyOutcome, ClusterDriver, KubeObject, ObjectRef, Preconditions } from './types.ts';
import { startWatch, type WatchTimeout } from './watch-loop.ts';

export { toKradleError } from './kube-errors.ts';

export interface LiveDriverOptions {
  kubeConfig: KubeConfig;
  fieldManager?: string;
  /** How long a discovery answer is trusted (CRD changes made through this driver refresh it at once). */
  discoveryTtlMs?: number;
  /** Watch reconnect back-off. */
  backoff?: { initialMs: number; maxMs: number };
  /** Deadline of one request (default 30 s): a server that never answers fails the request, not the pass. */
  requestTimeoutMs?: number;
  /** How long the server is asked to keep a watch open, and how long past that one is taken for dead. */
  watchTimeout?: WatchTimeout;
}

export interface LiveDriver extends ClusterDriver {
  /** Forgets cached discovery, e.g. after CRDs were installed by someone else. */
  refreshDiscovery(): void;
}

/** Objects per list page (client-go's reflector uses 500). */
const LIST_PAGE = 500;

const describe = (r: ObjectRef) => `${r.apiVersion} ${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
const refOf = (o: KubeObject): ObjectRef => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) });
const header = (r: ObjectRef) => ({ apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) } });
/** Errors about Secrets keep no Status message (kube-errors.ts): it might quote their data. */
const about = (r: { apiVersion: string; kind: string }) => ({ secret: r.apiVersion === 'v1' && r.kind === 'Secret' });
const isCrd = (o: { apiVersion: string; kind: string }) => o.apiVersion === 'apiextensions.k8s.io/v1' && o.kind === 'CustomResourceDefinition';
const notServedError = (what: string, apiVersion: string, kind: string) =>
  new WaitingError(`${what}: the cluster does not serve ${apiVersion} ${kind} (is its CRD installed?)`, {
    details: [{ code: 'KIND_NOT_SERVED', message: `${apiVersion} ${kind} is not served` }],
  });

/**
 * The last resourceVersion seen of each object (from applies, status writes, gets and watch events). An apply
 * answered 201 created the object; answered 200, it changed it when the version moved. After a restart the
 * first apply of an existing object has no previous version to compare with and counts as `configured`.
 */
function createVersionCache() {
  const seen = new Map<string, string>();
  return {
    note(obj: KubeObject | undefined): void {
      if (obj?.metadata?.resourceVersion) seen.set(objectIdentity(obj), obj.metadata.resourceVersion);
    },
    forget: (ref: ObjectRef) => seen.delete(objectIdentity(ref)),
    clear: () => seen.clear(),
    actionOf(live: KubeObject): ApplyOutcome['action'] {
      const before = seen.get(objectIdentity(live));
      if (httpStatusOf(live) === 201) return 'created';
      return before !== undefined && before === live.metadata.resourceVersion ? 'unchanged' : 'configured';
    },
  };
}

export function createLiveDriver(opts: LiveDriverOptions): LiveDriver {
  const api = ObjectApi.create(opts.kubeConfig, opts.requestTimeoutMs ? { timeoutMs: opts.requestTimeoutMs } : {});
  const fieldManager = opts.fieldManager ?? 'kradle';
  const ttl = opts.discoveryTtlMs ?? 30_000;
  const served = new Map<string, { value: boolean; at: number }>();
  const versions = createVersionCache();

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
      const live = (await api.read(header(ref))) as unknown as KubeObject;
      versions.note(live);
      return live;
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw toKradleError(err, `get ${describe(ref)}`, about(ref));
    }
  }

  /** One PATCH: the answer's HTTP status and resourceVersion say whether it created, changed or kept the object. */
  async function apply(obj: KubeObject, o: { force?: boolean } = {}): Promise<ApplyOutcome> {
    const ref = refOf(obj);
    keepRaw(ref.apiVersion, ref.kind);
    let live: KubeObject;
    try {
      // client-node fills in a missing metadata.namespace: a shallow copy keeps the desired object as it was
      // (a deep one cost a cold apply a clone per object for nothing; the body is serialized, never kept).
      const body = { ...obj, metadata: { ...obj.metadata } } as unknown as KubernetesObject;
      live = (await api.patch(body, undefined, undefined, fieldManager, o.force ?? false, PatchStrategy.ServerSideApply)) as unknown as KubeObject;
    } catch (err) {
      if (isAbsent(err)) {
        // An apply creates what is missing, so a 404 means the kind (or the namespace) is: the cached
        // discovery answer may predate a CRD's removal, and would name the wrong cause for its whole TTL.
        served.delete(`${ref.apiVersion}/${ref.kind}`);
        if (!(await servesKind(ref.apiVersion, ref.kind))) throw notServedError(`apply ${describe(ref)}`, ref.apiVersion, ref.kind);
      }
      throw toKradleError(err, `apply ${describe(ref)}`, about(ref));
    }
    if (isCrd(obj)) refreshDiscovery();
    const action = versions.actionOf(live);
    versions.note(live);
    return { ref, action, live };
  }

  async function applyStatus(ref: ObjectRef, status: Record<string, unknown>): Promise<'written' | 'absent'> {
    keepRaw(ref.apiVersion, ref.kind);
    try {
      const body = { ...header(ref), status } as unknown as KubernetesObject;
      versions.note((await api.applyStatus(body, fieldManager)) as unknown as KubeObject);
      return 'written';
    } catch (err) {
      if (isAbsent(err)) return 'absent';
      throw toKradleError(err, `write status of ${describe(ref)}`, about(ref));
    }
  }

  async function del(ref: ObjectRef, o: { preconditions?: Preconditions } = {}): Promise<'deleted' | 'absent' | 'changed'> {
    keepRaw(ref.apiVersion, ref.kind);
    versions.forget(ref);
    try {
      const options = o.preconditions ? { preconditions: o.preconditions, propagationPolicy: 'Background' } : undefined;
      await api.delete(header(ref), undefined, undefined, undefined, undefined, 'Background', options);
    } catch (err) {
      if (isAbsent(err)) return 'absent';
      // A DELETE has no other conflict than a failed precondition: the object is not the one the caller meant.
      if (o.preconditions && codeOf(err) === 409) return 'changed';
      throw toKradleError(err, `delete ${describe(ref)}`, about(ref));
    } finally {
      if (isCrd(ref)) refreshDiscovery();
    }
    return 'deleted';
  }

  /**
   * Lists in pages, as client-go's reflector does: one answer holding every object of a kind (10,000 Teams) kept
   * the API server and this process busy for seconds, and every request behind it waited, the first commit after
   * a cold start among them. Every page reports the resourceVersion of the first, which a watch starts from.
   */
  async function listPages(apiVersion: string, kind: string, o: { namespace?: string; labelSelector?: string }) {
    const items: KubeObject[] = [];
    let resourceVersion: string | undefined;
    let token: string | undefined;
    do {
      const res = await api.list(apiVersion, kind, o.namespace, undefined, undefined, undefined, undefined, o.labelSelector, LIST_PAGE, token);
      // Items of built-in lists carry no apiVersion/kind.
      for (const i of res.items) items.push({ apiVersion, kind, ...i } as unknown as KubeObject);
      resourceVersion ??= res.metadata?.resourceVersion ?? '';
      const meta = res.metadata as { continue?: string; _continue?: string } | undefined;
      token = meta?.continue || meta?._continue || undefined;
    } while (token);
    return { items, resourceVersion };
  }

  async function listWithVersion(apiVersion: string, kind: string, o: { namespace?: string; labelSelector?: string }) {
    keepRaw(apiVersion, kind);
    try {
      return await listPages(apiVersion, kind, o);
    } catch (err) {
      if (notServed(err) || (codeOf(err) === 404 && !(await servesKind(apiVersion, kind)))) return { items: [], resourceVersion: '' };
      throw toKradleError(err, `list ${apiVersion} ${kind}`, about({ apiVersion, kind }));
    }
  }

  async function collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    let resource;
    try {
      resource = await api.resourceOf(apiVersion, kind);
    } catch (err) {
      throw toKradleError(err, `discover ${apiVersion} ${kind}`);
    }
    if (!resource) throw notServedError(`watch ${apiVersion} ${kind}`, apiVersion, kind);
    const root = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${root}${ns}/${resource.name}`;
  }

  return {
    mode: 'live',
    apply,
    applyStatus,
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
        ...(opts.watchTimeout ? { timeout: opts.watchTimeout } : {}),
        list: () => listWithVersion(apiVersion, kind, o),
        onEvent: (type, obj) => {
          if (type === 'DELETED') versions.forget(refOf(obj));
          else versions.note(obj);
          onEvent(type, obj);
        },
        onError: (err) => onError?.(toKradleError(err, `watch ${apiVersion} ${kind}`, about({ apiVersion, kind }))),
      });
    },
  };
}
