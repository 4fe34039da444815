// The resource types the test server serves: a fixed set of built-in types plus whatever the stored
// CustomResourceDefinitions declare. Discovery documents are derived from the same list.
import { isObject, type JsonObject } from './fields.ts';

export interface ResourceDef {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  /** Writes to the main resource keep the live status; status is written through /status. */
  statusSubresource: boolean;
  /** Built-in list items carry no apiVersion/kind, as with a real API server. */
  builtin: boolean;
}

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

function builtin(group: string, version: string, kind: string, plural: string, namespaced: boolean, status = false): ResourceDef {
  return { group, version, kind, plural, singular: kind.toLowerCase(), namespaced, statusSubresource: status, builtin: true };
}

export const BUILTINS: ResourceDef[] = [
  builtin('', 'v1', 'Namespace', 'namespaces', false, true),
  builtin('', 'v1', 'ServiceAccount', 'serviceaccounts', true),
  builtin('', 'v1', 'Secret', 'secrets', true),
  builtin('', 'v1', 'ConfigMap', 'configmaps', true),
  builtin('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, true),
  builtin('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  builtin('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  builtin('apps', 'v1', 'Deployment', 'deployments', true, true),
  builtin('batch', 'v1', 'Job', 'jobs', true, true),
  builtin('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  builtin('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, true),
];

export const CRD_GROUP = 'apiextensions.k8s.io';

/** The served versions a stored CRD object declares. */
export function defsFromCrd(crd: JsonObject): ResourceDef[] {
  const spec = crd.spec;
  if (!isObject(spec) || !isObject(spec.names) || !Array.isArray(spec.versions)) return [];
  const names = spec.names;
  return spec.versions.filter(isObject).filter((v) => v.served !== false).map((v) => ({
    group: String(spec.group),
    version: String(v.name),
    kind: String(names.kind),
    plural: String(names.plural),
    singular: String(names.singular ?? String(names.kind).toLowerCase()),
    namespaced: spec.scope !== 'Cluster',
    statusSubresource: isObject(v.subresources) && v.subresources.status !== undefined,
    builtin: false,
  }));
}

export const groupVersion = (d: { group: string; version: string }): string =>
  d.group ? `${d.group}/${d.version}` : d.version;

export function resourceList(groupVersionName: string, defs: ResourceDef[]): JsonObject {
  const resources: JsonObject[] = [];
  for (const d of defs) {
    resources.push({ name: d.plural, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: VERBS });
    if (d.statusSubresource) {
      resources.push({ name: `${d.plural}/status`, singularName: '', namespaced: d.namespaced, kind: d.kind, verbs: ['get', 'patch', 'update'] });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersionName, resources };
}

export function groupList(defs: ResourceDef[]): JsonObject {
  const groups = new Map<string, Set<string>>();
  for (const d of defs) {
    if (!d.group) continue;
    if (!groups.has(d.group)) groups.set(d.group, new Set());
    groups.get(d.group)!.add(d.version);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => {
      const list = [...versions].map((version) => ({ groupVersion: `${name}/${version}`, version }));
      return { name, versions: list, preferredVersion: list[0] };
    }),
  };
}
