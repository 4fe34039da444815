// In-memory fakes of the API's ports (config, sync, writer, secrets) for test/api. Never imported from src/.
import { ConflictError, NotFoundError, type ErrorDetail } from '../../src/errors/index.ts';
import { API_VERSION, PLATFORM_NAMESPACE, resourceKey, tenantNamespace, type Resource } from '../../src/kinds/index.ts';
import type { DesiredResource, DesiredState } from '../../src/loader/types.ts';
import type { ConfigPort, ConfigWriteManyRequest, ConfigWriteRequest, SecretsPort, SyncPort, SyncStatus, WriterPort } from '../../src/api/index.ts';

export function doc(kind: string, org: string, name: string, spec: Record<string, unknown> = {}, labels: Record<string, string> = {}): Resource {
  return { apiVersion: API_VERSION, kind, metadata: { name, labels }, spec: { organizationRef: org, ...spec } };
}

function desiredOf(r: Resource): DesiredResource {
  const org = r.kind === 'Organization' ? String(r.spec.slug ?? r.metadata.name) : String(r.spec.organizationRef ?? '') || null;
  const namespace = r.kind === 'Organization' ? PLATFORM_NAMESPACE : tenantNamespace(org ?? '');
  const id = { kind: r.kind, namespace, name: r.metadata.name };
  const object = { ...r, metadata: { ...r.metadata, namespace } };
  return { id, key: resourceKey(id), org, object, hash: JSON.stringify(object.spec).length.toString(16), source: { path: `orgs/${org}/${r.kind}/${r.metadata.name}.yaml`, line: 1, column: 1, index: 0 } };
}

export function desiredState(revision: string, docs: Resource[]): DesiredState {
  const resources = new Map(docs.map((d) => desiredOf(d)).map((d) => [d.key, d]));
  const all = [...resources.values()];
  return {
    revision,
    resources,
    get: (kind, org, name) => all.find((d) => d.id.kind === kind && d.id.name === name && (d.org === org || kind === 'Organization')),
    byKind: (kind) => all.filter((d) => d.id.kind === kind),
    byOrg: (org) => all.filter((d) => d.org === org && d.id.kind !== 'Organization'),
    orgs: () => all.filter((d) => d.id.kind === 'Organization').map((d) => d.org!),
  };
}

/** A config port serving a desired state loaded elsewhere, such as an agent test's world. */
export function configOf(state: () => DesiredState | undefined): ConfigPort {
  return { current: state, lastError: () => [] };
}

/** Desired state held in memory; a write through the fake writer becomes a new revision of it. */
export function fakeConfig(docs: Resource[], revision = 'rev-1') {
  let state = desiredState(revision, docs);
  let errors: ErrorDetail[] = [];
  let n = 1;
  const port: ConfigPort & { set(docs: Resource[]): string; docs(): Resource[]; setErrors(e: ErrorDetail[]): void } = {
    current: () => state,
    lastError: () => errors,
    set(next) {
      state = desiredState(`rev-${++n}`, next);
      return state.revision;
    },
    docs: () => [...state.resources.values()].map((d) => d.object),
    setErrors: (e) => void (errors = e),
  };
  return port;
}

/** Records every request; applies commits to the fake config; 409 when If-Match is not the current revision. */
export function fakeWriter(config: ReturnType<typeof fakeConfig>) {
  const requests: ConfigWriteRequest[] = [];
  const manyRequests: ConfigWriteManyRequest[] = [];
  const writer: WriterPort & { requests: ConfigWriteRequest[]; manyRequests: ConfigWriteManyRequest[] } = {
    requests,
    manyRequests,
    async write(req) {
      requests.push(req);
      if (req.expectedRevision && req.expectedRevision !== config.current()!.revision) {
        throw new ConflictError(`${req.kind} ${req.name} changed since ${req.expectedRevision}`);
      }
      const path = `orgs/${req.org}/${req.kind.toLowerCase()}s/${req.name}.yaml`;
      if (req.mode === 'pull-request') return { commit: 'pr-commit', branch: 'kradle/write/x', path };
      const others = config.docs().filter((d) => !(d.kind === req.kind && d.metadata.name === req.name && (d.spec.organizationRef ?? d.metadata.name) === req.org));
      // As the real writer: a delete of a document the branch does not hold is a 404.
      if (!req.resource && others.length === config.docs().length) throw new NotFoundError(`${req.kind} ${req.name} not found in org ${req.org}`);
      const revision = config.set(req.resource ? [...others, req.resource] : others);
      return { commit: revision, branch: 'main', path };
    },
    /** Every edit as one new revision of the fake config (the real writer validates the revision first). */
    async writeMany(req) {
      manyRequests.push(req);
      if (req.expectedRevision && req.expectedRevision !== config.current()!.revision) throw new ConflictError(`the config changed since ${req.expectedRevision}`);
      const touched = (d: Resource, e: ConfigWriteManyRequest['edits'][number]) => d.kind === e.kind && d.metadata.name === e.name && (d.spec.organizationRef ?? d.metadata.name) === req.org;
      let docs = config.docs();
      for (const e of req.edits) docs = [...docs.filter((d) => !touched(d, e)), ...(e.resource ? [e.resource] : [])];
      const commit = config.set(docs);
      return { commit, branch: 'main', changed: req.edits.length > 0, items: req.edits.map((e) => ({ path: `orgs/${req.org}/${e.kind.toLowerCase()}s/${e.name}.yaml`, created: false, changed: true })) };
    },
  };
  return writer;
}

export function fakeSync(initial: Partial<SyncStatus> = {}) {
  const triggers: string[] = [];
  let status: SyncStatus = { state: 'Idle', clusterReachable: true, sourceReachable: true, syncedRevision: 'rev-1', ...initial };
  const port: SyncPort & { triggers: string[]; setStatus(s: Partial<SyncStatus>): void } = {
    triggers,
    status: () => status,
    async trigger(reason) {
      triggers.push(reason);
    },
    async preview(base, head) {
      return { base, head, baseRevision: null, headRevision: head, valid: true, baseValid: true, errors: [], warnings: [], created: [], changed: [], deleted: [], unchanged: 0 };
    },
    setStatus: (s) => void (status = { ...status, ...s }),
  };
  return port;
}

/** Kubernetes Secrets of each org, in memory: the only place the API may put values. */
export function fakeSecrets() {
  const data = new Map<string, Record<string, string>>();
  const port: SecretsPort & { data: Map<string, Record<string, string>> } = {
    data,
    async list(org) {
      return [...data].filter(([k]) => k.startsWith(`${org}/`)).map(([k, v]) => ({ name: k.slice(org.length + 1), keys: Object.keys(v).sort() }));
    },
    async put(org, name, d) {
      data.set(`${org}/${name}`, { ...d });
    },
    async delete(org, name) {
      return data.delete(`${org}/${name}`);
    },
    async read(org, name, key) {
      return data.get(`${org}/${name}`)?.[key];
    },
  };
  return port;
}
