import { BadRequestError } from '../errors/index.ts';
import {
  ORG_LABEL,
  PLATFORM_NAMESPACE,
  kindDefinition,
  normalizeOrgSlug,
  slugOfTenantNamespace,
  type Resource,
} from '../kinds/index.ts';

/** How a write names a resource: kind, org slug (null outside any org) and name. */
export interface ResourceIdentity {
  kind: string;
  org: string | null;
  name: string;
}

export function identityKey(id: ResourceIdentity): string {
  return `${id.kind}/${id.org ?? ''}/${id.name}`;
}

type Lookup = (path: readonly string[]) => unknown;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The identity of a document, read through `get` so it works on plain objects and on YAML documents
 * alike. The org comes from spec.organizationRef, else the namespace (tenant namespace or the slug
 * itself), else the legacy org label: the same precedence the loader uses to scope a document.
 */
export function identityOf(get: Lookup): ResourceIdentity | undefined {
  const kind = str(get(['kind']));
  const name = str(get(['metadata', 'name']));
  if (!kind || !name) return undefined;
  if (kind === 'Organization') return { kind, org: normalizeOrgSlug(name), name };
  const ref = str(get(['spec', 'organizationRef']));
  if (ref) return { kind, org: normalizeOrgSlug(ref), name };
  const ns = str(get(['metadata', 'namespace']));
  if (ns && ns !== PLATFORM_NAMESPACE) return { kind, org: slugOfTenantNamespace(ns) ?? ns, name };
  const label = str(get(['metadata', 'labels', ORG_LABEL]));
  return { kind, org: label ? normalizeOrgSlug(label) : null, name };
}

export function identityOfObject(obj: unknown): ResourceIdentity | undefined {
  return identityOf((path) => {
    let cur: unknown = obj;
    for (const key of path) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
    return cur;
  });
}

/** Where a new resource is written: orgs/<org>/<plural>/<name>.yaml, or orgs/<slug>/organization.yaml. */
export function conventionalPath(resource: Resource, dir = ''): string {
  const id = identityOfObject(resource);
  const def = kindDefinition(resource.kind);
  if (!id || !def) throw new BadRequestError(`cannot place a ${resource.kind || 'document'} without kind and metadata.name`);
  const prefix = dir ? `${dir.replace(/\/+$/, '')}/` : '';
  if (id.kind === 'Organization') return `${prefix}orgs/${id.org}/organization.yaml`;
  // Documents outside any org (a shared PolicyTemplate) have no org folder to go to.
  if (id.org === null) return `${prefix}platform/${def.plural}/${id.name}.yaml`;
  return `${prefix}orgs/${id.org}/${def.plural}/${id.name}.yaml`;
}
