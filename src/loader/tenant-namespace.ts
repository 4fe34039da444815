import { normalizeOrgSlug, tenantNamespace } from '../kinds/index.ts';
import type { DesiredResource, DesiredState } from './types.ts';

/** The tenant namespace an Organization document binds: its spec.namespaceName, else `kradle-org-<slug>`. */
export function orgNamespaceName(org: DesiredResource): string {
  const spec = org.object.spec;
  const ns = spec.namespaceName;
  if (typeof ns === 'string' && ns) return ns;
  return tenantNamespace(org.org ?? (typeof spec.slug === 'string' ? spec.slug : normalizeOrgSlug(org.id.name)));
}

const byState = new WeakMap<DesiredState, Map<string, string>>();

/**
 * The namespace of an org in the cluster, as its Organization document says (spec.namespaceName may be any
 * DNS label, e.g. `globex-tenant`). The one place an org's namespace is derived for the cluster (Jobs,
 * Secrets, KServe lookups, service URLs) and for what the API reports; an org the state does not declare
 * (or no state yet) gets the conventional `kradle-org-<slug>`.
 */
export function tenantNamespaceOf(state: DesiredState | undefined, org: string): string {
  if (!state) return tenantNamespace(org);
  let map = byState.get(state);
  if (!map) {
    map = new Map();
    for (const r of state.byKind('Organization')) if (r.org) map.set(r.org, orgNamespaceName(r));
    byState.set(state, map);
  }
  return map.get(org) ?? tenantNamespace(org);
}
