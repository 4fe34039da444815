import type { DesiredResource } from '../../loader/types.ts';
import type { KubeObject } from '../types.ts';
import { nativeMeta, refField, refName, type ProjectionContext } from './meta.ts';

const RBAC_API = 'rbac.authorization.k8s.io/v1';
const RBAC_GROUP = 'rbac.authorization.k8s.io';

export interface RbacSubject {
  kind: 'ServiceAccount' | 'User' | 'Group';
  name: string;
  namespace?: string;
  apiGroup?: string;
}

/**
 * The RBAC subject a Kradle `subject` reference names. `{kind: User|Group, name}` passes through; otherwise
 * it is a service account of the org's tenant namespace: the serviceAccountName of the AgentServiceAccount of
 * that name when one is declared, else the name itself.
 */
export function resolveSubject(r: DesiredResource, ctx: ProjectionContext): RbacSubject | undefined {
  const ref = r.object.spec.subject;
  const name = refName(ref);
  if (!name) return undefined;
  const kind = refField(ref, 'kind');
  if (kind === 'User' || kind === 'Group') return { kind, name, apiGroup: RBAC_GROUP };
  const asa = ctx.state.get('AgentServiceAccount', r.org, name);
  const saName = asa && typeof asa.object.spec.serviceAccountName === 'string' ? asa.object.spec.serviceAccountName : name;
  return { kind: 'ServiceAccount', name: saName, namespace: r.id.namespace };
}

/**
 * AgentRoleBinding: a RoleBinding in the tenant namespace (scope namespace or org), or a ClusterRoleBinding
 * (scope cluster) named `kradle-<org>-<name>` since cluster-wide names are shared by every org.
 * roleRef is a ClusterRole unless it says `{kind: Role}` (a Role only exists in a namespace).
 */
export function projectRoleBinding(r: DesiredResource, ctx: ProjectionContext): KubeObject[] {
  const spec = r.object.spec;
  const subject = resolveSubject(r, ctx);
  const roleName = refName(spec.roleRef);
  if (!subject || !roleName) return [];
  const cluster = spec.scope === 'cluster';
  const roleKind = !cluster && refField(spec.roleRef, 'kind') === 'Role' ? 'Role' : 'ClusterRole';
  const roleRef = { apiGroup: RBAC_GROUP, kind: roleKind, name: roleName };
  if (cluster) {
    const name = `kradle-${r.org ?? 'platform'}-${r.id.name}`;
    return [{ apiVersion: RBAC_API, kind: 'ClusterRoleBinding', metadata: nativeMeta(r, name), roleRef, subjects: [subject] }];
  }
  return [
    { apiVersion: RBAC_API, kind: 'RoleBinding', metadata: nativeMeta(r, `kradle-${r.id.name}`, r.id.namespace), roleRef, subjects: [subject] },
  ];
}

const GRANTS = {
  AgentSecretGrant: { field: 'secretRef', resource: 'secrets', prefix: 'kradle-secret' },
  AgentConfigGrant: { field: 'configMapRef', resource: 'configmaps', prefix: 'kradle-config' },
} as const;

/**
 * AgentSecretGrant / AgentConfigGrant: a Role allowing `get` on exactly the granted Secret or ConfigMap
 * (by resourceNames, in the tenant namespace) and a RoleBinding of the subject to it. RBAC cannot narrow
 * to keys, so granted key names and the purpose are recorded as annotations; no value is ever read or copied.
 */
export function projectGrant(r: DesiredResource, ctx: ProjectionContext): KubeObject[] {
  const grant = GRANTS[r.id.kind as keyof typeof GRANTS];
  if (!grant) return [];
  const spec = r.object.spec;
  const target = refName(spec[grant.field]);
  const subject = resolveSubject(r, ctx);
  if (!target || !subject) return [];
  const name = `${grant.prefix}-${r.id.name}`;
  const described: Record<string, string> = { 'kradle.a5c.ai/granted': `${grant.resource}/${target}` };
  if (typeof spec.purpose === 'string') described['kradle.a5c.ai/purpose'] = spec.purpose;
  if (Array.isArray(spec.keys)) described['kradle.a5c.ai/keys'] = spec.keys.map(String).join(',');
  const role: KubeObject = {
    apiVersion: RBAC_API,
    kind: 'Role',
    metadata: nativeMeta(r, name, r.id.namespace, described),
    rules: [{ apiGroups: [''], resources: [grant.resource], resourceNames: [target], verbs: ['get'] }],
  };
  const binding: KubeObject = {
    apiVersion: RBAC_API,
    kind: 'RoleBinding',
    metadata: nativeMeta(r, name, r.id.namespace),
    roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name },
    subjects: [subject],
  };
  return [role, binding];
}
