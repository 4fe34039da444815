/** Org slugs and tenant namespaces: the naming rules of spec §4.2–4.3 and DESIGN "Config repo layout". */

export const TENANT_NAMESPACE_PREFIX = 'kradle-org-';
export const ORG_LABEL = 'kradle.a5c.ai/org';
export const NAMESPACE_LABEL = 'kradle.a5c.ai/namespace';
export const OWNER_LABEL = 'kradle.a5c.ai/owner';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'kradle';

export function normalizeOrgSlug(value: string): string {
  return String(value)
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}

export function normalizeName(value: string): string {
  return (
    String(value)
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63) || 'user'
  );
}

export function tenantNamespace(slug: string): string {
  return `${TENANT_NAMESPACE_PREFIX}${slug}`;
}

/** The slug named by a tenant namespace, or undefined when it is not one. */
export function slugOfTenantNamespace(namespace: string): string | undefined {
  return namespace.startsWith(TENANT_NAMESPACE_PREFIX) ? namespace.slice(TENANT_NAMESPACE_PREFIX.length) : undefined;
}

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
