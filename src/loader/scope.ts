import { NAMESPACE_LABEL, ORG_LABEL, PLATFORM_NAMESPACE } from '../kinds/index.ts';
import type { Candidate } from './classify.ts';
import type { LoadError } from './errors.ts';
import { positionOf } from './parse.ts';

/** An organization declared in the revision: its slug and its tenant namespace. */
export interface OrgInfo {
  slug: string;
  namespace: string;
  candidate: Candidate;
}

/** A candidate placed in its org and namespace. */
export interface Scoped extends Candidate {
  org: string | null;
  namespace: string;
  /** The org's tenant namespace (null for platform documents). */
  tenant: string | null;
  /** resourceKey of the document, filled once. */
  key?: string;
  /** kind, org and name as one string (the semantic pass's lookup index), filled once. */
  lookupKey?: string;
}

export interface OrgDirectory {
  orgs: Map<string, OrgInfo>;
  /** Organizations that clash with an earlier one: reported, then left out. */
  rejected: Set<Candidate>;
  /** The org a namespace (tenant namespace or slug) belongs to. */
  orgOfNamespace(namespace: string): string | undefined;
  /** Org slugs declared by Organization documents that failed to parse, and the file of each. */
  brokenOrgs: ReadonlyMap<string, string>;
}

export function errorAt(c: Candidate, pointer: string, code: string, message: string): LoadError {
  return { path: c.path, ...positionOf(c.doc, pointer), code, message };
}

/** Organizations of the revision; a second org with the same slug or namespace is a duplicate. */
export function collectOrgs(candidates: Candidate[], errors: LoadError[], brokenOrgs: ReadonlyMap<string, string> = new Map()): OrgDirectory {
  const orgs = new Map<string, OrgInfo>();
  const byNamespace = new Map<string, string>();
  const rejected = new Set<Candidate>();
  for (const c of candidates) {
    if (c.def.kind !== 'Organization') continue;
    const spec = c.resource.spec as { slug?: string; namespaceName: string };
    const slug = spec.slug ?? c.resource.metadata.name;
    const clash = orgs.get(slug) ?? [...orgs.values()].find((o) => o.namespace === spec.namespaceName);
    if (clash) {
      // Both positions are reported; the first declaration stays so its org's documents still resolve.
      const what = `Organization ${slug} (namespace ${spec.namespaceName})`;
      errors.push(errorAt(clash.candidate, '/metadata/name', 'DUPLICATE_RESOURCE', `${what} is declared more than once (also at ${where(c)})`));
      errors.push(errorAt(c, '/metadata/name', 'DUPLICATE_RESOURCE', `${what} is declared more than once (also at ${where(clash.candidate)})`));
      rejected.add(c);
      continue;
    }
    if (spec.namespaceName === PLATFORM_NAMESPACE) {
      errors.push(errorAt(c, '/spec/namespaceName', 'INVALID_VALUE', `${PLATFORM_NAMESPACE} is the platform namespace, not a tenant namespace`));
    }
    orgs.set(slug, { slug, namespace: spec.namespaceName, candidate: c });
    byNamespace.set(spec.namespaceName, slug);
  }
  return { orgs, rejected, brokenOrgs, orgOfNamespace: (ns) => byNamespace.get(ns) ?? (orgs.has(ns) ? ns : undefined) };
}

export function where(c: Candidate): string {
  const p = positionOf(c.doc, '/metadata/name');
  return `${c.path}:${p.line}:${p.column}`;
}

/** Places each candidate in its org and namespace (DESIGN "Config repo layout"), or reports why it cannot. */
export function scopeCandidate(c: Candidate, dir: OrgDirectory, errors: LoadError[]): Scoped | undefined {
  const meta = c.resource.metadata;
  const orgRef = (c.resource.spec as { organizationRef?: unknown }).organizationRef;
  if (c.def.kind === 'Organization' || (c.def.kind === 'PolicyTemplate' && orgRef === undefined)) {
    if (meta.namespace !== undefined && meta.namespace !== PLATFORM_NAMESPACE) {
      errors.push(errorAt(c, '/metadata/namespace', 'NAMESPACE_MISMATCH',
        `a ${c.def.kind === 'Organization' ? 'Organization' : 'platform PolicyTemplate'} lives in ${PLATFORM_NAMESPACE}, not ${meta.namespace}`));
      return undefined;
    }
    const slug = c.def.kind === 'Organization' ? ((c.resource.spec.slug as string | undefined) ?? meta.name) : null;
    const tenant = c.resource.spec.namespaceName as string;
    if (slug && !checkLabels(c, slug, [PLATFORM_NAMESPACE, tenant], errors)) return undefined;
    return scoped(c, slug, PLATFORM_NAMESPACE, slug ? tenant : null);
  }
  if (typeof orgRef !== 'string') {
    errors.push(errorAt(c, '/spec', 'MISSING_ORG', `${c.def.kind} needs spec.organizationRef naming its Organization`));
    return undefined;
  }
  const org = dir.orgs.get(orgRef);
  if (!org) {
    const brokenIn = dir.brokenOrgs.get(orgRef);
    const cause = brokenIn === undefined ? '' : `: it is declared in ${brokenIn}, which failed to parse`;
    errors.push(errorAt(c, '/spec/organizationRef', 'MISSING_ORG', `organizationRef ${orgRef} names no Organization of this revision${cause}`));
    return undefined;
  }
  const namespace = c.def.platformScoped ? PLATFORM_NAMESPACE : org.namespace;
  const allowed = c.def.platformScoped ? [PLATFORM_NAMESPACE] : [org.namespace, org.slug];
  if (meta.namespace !== undefined && !allowed.includes(meta.namespace)) {
    errors.push(errorAt(c, '/metadata/namespace', 'NAMESPACE_MISMATCH',
      `namespace ${meta.namespace} is not the namespace of org ${org.slug} (use ${allowed.join(' or ')}, or leave it out)`));
    return undefined;
  }
  if (!checkLabels(c, org.slug, [namespace, org.namespace], errors)) return undefined;
  return scoped(c, org.slug, namespace, org.namespace);
}

/**
 * Written out rather than spread (`{ ...c, org }`): V8 gives every object made by a spread plus more properties
 * a hidden class of its own, about 300 bytes per document.
 */
function scoped(c: Candidate, org: string | null, namespace: string, tenant: string | null): Scoped {
  return { path: c.path, doc: c.doc, def: c.def, resource: c.resource, org, namespace, tenant, key: undefined, lookupKey: undefined };
}

/** Labels of the original Kradle are accepted when they agree with the document. */
function checkLabels(c: Candidate, slug: string, namespaces: string[], errors: LoadError[]): boolean {
  const labels = c.resource.metadata.labels ?? {};
  const orgLabel = labels[ORG_LABEL];
  const nsLabel = labels[NAMESPACE_LABEL];
  let ok = true;
  if (orgLabel !== undefined && orgLabel !== slug) {
    errors.push(errorAt(c, `/metadata/labels/${ORG_LABEL.replace('/', '~1')}`, 'ORG_LABEL_MISMATCH',
      `label ${ORG_LABEL}=${orgLabel} disagrees with the document's org ${slug}`));
    ok = false;
  }
  if (nsLabel !== undefined && !namespaces.includes(nsLabel)) {
    errors.push(errorAt(c, `/metadata/labels/${NAMESPACE_LABEL.replace('/', '~1')}`, 'NAMESPACE_MISMATCH',
      `label ${NAMESPACE_LABEL}=${nsLabel} disagrees with the document's namespace ${namespaces.at(-1)}`));
    ok = false;
  }
  return ok;
}
