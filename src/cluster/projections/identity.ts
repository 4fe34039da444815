import { API_VERSION, NAMESPACE_LABEL, PLATFORM_NAMESPACE, normalizeOrgSlug } from '../../kinds/index.ts';
import { orgNamespaceName } from '../../loader/tenant-namespace.ts';
import type { DesiredResource } from '../../loader/types.ts';
import type { KubeObject } from '../types.ts';
import { nativeMeta, type ProjectionContext } from './meta.ts';

function orgSlug(r: DesiredResource): string {
  const spec = r.object.spec;
  return r.org ?? (typeof spec.slug === 'string' ? spec.slug : normalizeOrgSlug(r.id.name));
}

export { orgNamespaceName };

/**
 * Organization: its tenant Namespace, and the OrgNamespaceBinding CR in kradle-system that records the
 * binding, unless the config repo declares that binding itself (then the declared one is projected).
 */
export function projectOrganization(r: DesiredResource, ctx: ProjectionContext): KubeObject[] {
  const slug = orgSlug(r);
  const namespace = orgNamespaceName(r);
  const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: nativeMeta(r, namespace) };
  ns.metadata.labels = { ...ns.metadata.labels, [NAMESPACE_LABEL]: namespace };
  const declared = ctx.state.byKind('OrgNamespaceBinding').some((b) => b.org === slug);
  if (declared) return [ns];
  const binding: KubeObject = {
    apiVersion: API_VERSION,
    kind: 'OrgNamespaceBinding',
    metadata: nativeMeta(r, slug, PLATFORM_NAMESPACE),
    spec: { organizationRef: slug, namespace },
  };
  return [ns, binding];
}

/**
 * AgentServiceAccount: a ServiceAccount named spec.serviceAccountName. It is always created in the org's
 * tenant namespace (a tenant never writes into another namespace, whatever spec.namespace says).
 */
export function projectServiceAccount(r: DesiredResource): KubeObject[] {
  const spec = r.object.spec;
  const name = typeof spec.serviceAccountName === 'string' ? spec.serviceAccountName : r.id.name;
  const sa: KubeObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: nativeMeta(r, name, r.id.namespace) };
  if (typeof spec.automountServiceAccountToken === 'boolean') sa.automountServiceAccountToken = spec.automountServiceAccountToken;
  return [sa];
}
