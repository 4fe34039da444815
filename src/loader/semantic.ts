import { createHash } from 'node:crypto';
import { resourceKey } from '../kinds/index.ts';
import type { Candidate } from './classify.ts';
import type { LoadError } from './errors.ts';
import { checkReferences } from './resolve-refs.ts';
import { checkRules } from './rules.ts';
import { collectOrgs, errorAt, scopeCandidate, where, type OrgDirectory, type Scoped } from './scope.ts';

/**
 * The checks that need the whole revision: org scoping, duplicates, references, value rules.
 * Documents that fail their own checks still exist for lookups, so one mistake reports once
 * instead of cascading into every document that names it.
 */
export function checkRevision(candidates: Candidate[], ghosts: Candidate[], errors: LoadError[]): Scoped[] {
  // A schema-invalid Organization that still names its namespace keeps its org's documents in scope.
  const ghostOrgs = ghosts.filter((g) => g.def.kind === 'Organization' && typeof g.resource.spec?.namespaceName === 'string');
  const dir = collectOrgs([...candidates, ...ghostOrgs], errors);
  const scoped: Scoped[] = [];
  const dirKey = directoryKey(dir);
  for (const c of candidates) {
    if (dir.rejected.has(c)) continue;
    const s = scopeMemoized(c, dir, dirKey, errors);
    if (s) scoped.push(s);
  }
  const unique = dropDuplicates(scoped, errors);
  const index = new Map<string, Scoped>();
  for (const g of ghosts) {
    const s = g.resource.spec ? scopeCandidate(g, dir, []) : undefined;
    if (s) index.set(lookupKey(s.def.kind, s.org, s.resource.metadata.name), s);
  }
  for (const s of unique) index.set(lookupKey(s.def.kind, s.org, s.resource.metadata.name), s);
  const lookup = (kind: string, org: string | null, name: string) => index.get(lookupKey(kind, org, name));
  for (const s of unique) {
    checkReferences(s, dir, lookup, errors);
    checkRules(s, dir, errors);
  }
  return unique;
}

/** Identifies the org directory: scoping a cached document again under the same one gives the same answer. */
function directoryKey(dir: OrgDirectory): string {
  const orgs = [...dir.orgs.values()].map((o) => `${o.slug}=${o.namespace}`).sort().join(',');
  return createHash('sha1').update(orgs).digest('base64');
}

/** Scoping is memoized on the cached parse, per path and org directory: a reload re-scopes only what changed. */
function scopeMemoized(c: Candidate, dir: OrgDirectory, dirKey: string, errors: LoadError[]): Scoped | undefined {
  const key = `scope:${c.path}:${dirKey}`;
  let memo = c.doc.memo[key] as { scoped?: Scoped; errors: LoadError[] } | undefined;
  if (!memo) {
    const own: LoadError[] = [];
    memo = { scoped: scopeCandidate(c, dir, own), errors: own };
    for (const k of Object.keys(c.doc.memo)) if (k.startsWith(`scope:${c.path}:`)) delete c.doc.memo[k];
    c.doc.memo[key] = memo;
  }
  errors.push(...memo.errors);
  return memo.scoped;
}

function lookupKey(kind: string, org: string | null, name: string): string {
  return `${kind}\0${org ?? ''}\0${name}`;
}

/** Two documents with one kind/namespace/name: every occurrence is reported, the first one kept. */
function dropDuplicates(scoped: Scoped[], errors: LoadError[]): Scoped[] {
  const groups = new Map<string, Scoped[]>();
  for (const s of scoped) {
    const key = (s.key ??= resourceKey({ kind: s.def.kind, namespace: s.namespace, name: s.resource.metadata.name }));
    const group = groups.get(key);
    if (group) group.push(s);
    else groups.set(key, [s]);
  }
  const kept: Scoped[] = [];
  for (const [key, group] of groups) {
    kept.push(group[0]!);
    if (group.length === 1) continue;
    for (const s of group) {
      const others = group.filter((o) => o !== s).map(where).join(', ');
      errors.push(errorAt(s, '/metadata/name', 'DUPLICATE_RESOURCE', `${key} is declared more than once (also at ${others})`));
    }
  }
  return kept;
}
