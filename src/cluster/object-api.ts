// client-node's generic object API, opened up for what Kradle needs: discovery cache control, the HTTP status
// of each answer (201 Created vs 200 OK tells an apply that created from one that updated, without a GET), and
// server-side apply to the /status subresource, which KubernetesObjectApi has no method for.
import { HttpMethod, KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { ResponseContext } from '@kubernetes/client-node';
// Deep import: client-node's typed models drop fields they do not know (x-kubernetes-*, `default` in CRD
// schemas) and turn timestamps into Dates; registering kinds as raw keeps objects as the server sent them.
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';

const HTTP_STATUS = Symbol('httpStatus');

/** The HTTP status an object came back with (undefined for objects not read through ObjectApi). */
export function httpStatusOf(obj: unknown): number | undefined {
  return obj && typeof obj === 'object' ? (obj as { [HTTP_STATUS]?: number })[HTTP_STATUS] : undefined;
}

export class ObjectApi extends KubernetesObjectApi {
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
    if (out && typeof out === 'object') Object.defineProperty(out, HTTP_STATUS, { value: response.httpStatusCode, enumerable: false });
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
