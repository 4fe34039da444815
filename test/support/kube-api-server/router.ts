// HTTP routing for the test API server: discovery, resource CRUD, apply, status subresource and watch.
import type { IncomingMessage, ServerResponse } from 'node:http';
import YAML from 'yaml';
import { isObject, type Json } from './fields.ts';
import type { FaultState } from './faults.ts';
import { groupList, groupVersion, resourceList, type ResourceDef } from './resources.ts';
import { ApiError, badRequest, failure, success, type Status } from './status.ts';
import type { ObjectStore } from './store.ts';
import { serveWatch, type WatchOptions } from './watch.ts';

export interface RouterDeps {
  store: ObjectStore;
  faults: FaultState;
  token: string;
  watch: WatchOptions;
  /** Every request is appended here; none when the server was started with recordRequests: false. */
  log?: { method: string; path: string }[];
}

interface Target {
  def: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: 'status';
}

const send = (res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

async function readBody(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return null;
  const yaml = (req.headers['content-type'] ?? '').includes('yaml');
  try {
    // An apply patch is YAML, and JSON is YAML too; clients send JSON, which JSON.parse reads far faster.
    return JSON.parse(text) as Json;
  } catch {
    if (!yaml) throw badRequest('the request body could not be decoded');
  }
  try {
    return YAML.parse(text) as Json;
  } catch {
    throw badRequest('the request body could not be decoded');
  }
}

function discovery(store: ObjectStore, parts: string[]): unknown {
  const defs = store.defs();
  if (parts.length === 1 && parts[0] === 'api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (parts.length === 1) return groupList(defs);
  const [group, version] = parts[0] === 'api' ? ['', parts[1]] : [parts[1], parts[2]];
  const served = defs.filter((d) => d.group === group && (version === undefined || d.version === version));
  if (served.length === 0) return undefined;
  if (version === undefined) {
    const versions = [...new Set(served.map((d) => d.version))].map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
    return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: versions[0] };
  }
  return resourceList(groupVersion({ group, version }), served);
}

function target(store: ObjectStore, parts: string[]): Target | undefined {
  const core = parts[0] === 'api';
  const [group, version] = core ? ['', parts[1]] : [parts[1], parts[2]];
  let rest = parts.slice(core ? 2 : 3);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status') {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const def = store.resolve(group, version, rest[0]);
  if (!def || rest.length > 3 || (rest[2] !== undefined && rest[2] !== 'status')) return undefined;
  if (rest[2] === 'status' && !def.statusSubresource) return undefined;
  if (def.namespaced !== (namespace !== undefined) && rest.length > 1) return undefined;
  return { def, namespace, name: rest[1], subresource: rest[2] as 'status' | undefined };
}

async function handleResource(deps: RouterDeps, t: Target, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const { store } = deps;
  const q = url.searchParams;
  const manager = q.get('fieldManager') ?? 'unknown';
  const opts = { manager, subresource: t.subresource };
  const method = req.method ?? 'GET';
  if (t.name === undefined) {
    if (method === 'GET' && q.get('watch') === 'true') {
      const expired = deps.faults.expireWatch(url.pathname);
      const silent = !expired && deps.faults.silenceWatch(url.pathname);
      return serveWatch(store, { def: t.def, namespace: t.namespace, query: q, expired, silent }, req, res, deps.watch);
    }
    if (method === 'GET') {
      const page = store.listPage(t.def, t.namespace, q.get('labelSelector'), { limit: Number(q.get('limit') ?? 0), continue: q.get('continue') });
      // Built-in list items carry no apiVersion/kind, as with a real API server.
      const shaped = t.def.builtin ? page.items.map(({ apiVersion: _a, kind: _k, ...o }) => o) : page.items;
      const metadata = { resourceVersion: String(page.rv), ...(page.continue ? { continue: page.continue } : {}) };
      return send(res, 200, { kind: `${t.def.kind}List`, apiVersion: groupVersion(t.def), metadata, items: shaped });
    }
    if (method === 'POST') return send(res, 201, store.create(t.def, t.namespace, await readBody(req), opts));
    throw new ApiError(failure(405, `${method} is not supported on a collection`));
  }
  if (method === 'GET') return send(res, 200, store.get(t.def, t.namespace, t.name));
  if (method === 'PUT') return send(res, 200, store.replace(t.def, t.namespace, t.name, await readBody(req), opts));
  if (method === 'DELETE') {
    // DeleteOptions come as the body; only their preconditions change what this server does.
    const options = await readBody(req);
    const pre = isObject(options) && isObject(options.preconditions) ? options.preconditions : {};
    const gone = store.delete(t.def, t.namespace, t.name, {
      ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
      ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
    });
    const meta = gone.metadata as Record<string, string>;
    return send(res, 200, success({ name: t.name, group: t.def.group, kind: t.def.plural, uid: meta.uid } as never));
  }
  if (method === 'PATCH') {
    const type = req.headers['content-type'] ?? '';
    const body = await readBody(req);
    if (type.startsWith('application/apply-patch')) {
      if (!q.get('fieldManager')) throw badRequest('PATCH /apply requires a fieldManager query parameter');
      const out = store.apply(t.def, t.namespace, t.name, body, { ...opts, force: q.get('force') === 'true' });
      return send(res, out.created ? 201 : 200, out.obj);
    }
    if (type.startsWith('application/merge-patch') || type.startsWith('application/strategic-merge-patch')) {
      return send(res, 200, store.patch(t.def, t.namespace, t.name, body, opts));
    }
    throw new ApiError(failure(415, `the content type ${type} is not supported by this server`));
  }
  throw new ApiError(failure(405, `${method} is not supported`));
}

async function route(deps: RouterDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (url.pathname === '/version') return send(res, 200, { major: '1', minor: '30', gitVersion: 'v1.30.0-kradle-test' });
  if (parts[0] !== 'api' && parts[0] !== 'apis') throw new ApiError(failure(404, 'the server could not find the requested resource'));
  const isDiscovery = parts[0] === 'api' ? parts.length <= 2 : parts.length <= 3;
  if (isDiscovery) {
    const doc = discovery(deps.store, parts);
    if (doc === undefined) throw new ApiError(failure(404, 'the server could not find the requested resource'));
    return send(res, 200, doc);
  }
  const t = target(deps.store, parts);
  if (!t) throw new ApiError(failure(404, 'the server could not find the requested resource'));
  return handleResource(deps, t, req, res, url);
}

export function createHandler(deps: RouterDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    deps.log?.push({ method, path: url.pathname + url.search });
    try {
      const latency = deps.faults.latencyMs();
      if (latency > 0) await new Promise((r) => setTimeout(r, latency));
      if (req.headers.authorization !== `Bearer ${deps.token}`) throw new ApiError(failure(401, 'Unauthorized'));
      await deps.faults.gate(method, url.pathname);
      const fault = deps.faults.take(method, url.pathname);
      if (fault) {
        const details = fault.causes ? { causes: fault.causes } : undefined;
        const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
        throw new ApiError(failure(fault.status, fault.message, details, fault.reason), headers);
      }
      await route(deps, req, res, url);
    } catch (err) {
      const status: Status = err instanceof ApiError ? err.status : failure(500, `internal error: ${String(err)}`);
      if (!res.headersSent) send(res, status.code, status, err instanceof ApiError ? err.headers : {});
      else res.end();
    }
  };
}
