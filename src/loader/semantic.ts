import { createHash } from 'node:crypto';
import { resourceKey } from '../kinds/index.ts';
import type { Candidate } from './classify.ts';
import type { LoadError } from './errors.ts';
import { checkReferences, lookupKey } from './resolve-refs.ts';
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
  const dir = collectOrgs([...candidates.filter((c) => c.def.kind === 'Organization'), ...ghostOrgs], errors);
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
  for (const s of unique) index.set((s.lookupKey ??= lookupKey(s.def.kind, s.org, s.resource.metadata.name)), s);
  const lookup = (kind: string, org: string | null, name: string) => index.get(lookupKey(kind, org, name));
  for (const s of unique) {
    checkReferences(s, dir, lookup, errors, index);
    checkRules(s, dir, errors);
  }
  return unique;
}

/** Identifies the org directory: scoping a cached document again under the same one gives the same answer. */
function directoryKey(dir: OrgDirectory): string {
  const orgs = [...dir.orgs.values()].map((o) => `${o.slug}=${o.namespace}`).sort().join(',');
  return createHash('sha1').update(orgs).digest('base64');
}

interface ScopeMemo {
  dirKey: string;
  scoped?: Scoped;
  errors: LoadError[];
}

// Candidates are reused across loads for unchanged files (see file-unit.ts), so scoping is memoized on
// them per org directory: a reload re-scopes only what changed, or everything when an org changed.
const scopes = new WeakMap<Candidate, ScopeMemo>();

function scopeMemoized(c: Candidate, dir: OrgDirectory, dirKey: string, errors: LoadError[]): Scoped | undefined {
  let memo = scopes.get(c);
  if (memo?.dirKey !== dirKey) {
    const own: LoadError[] = [];
    let scoped = scopeCandidate(c, dir, own);
    // Same place as before (another org changed): keep the old object and what is memoized on it.
    const old = memo?.scoped;
    if (old && scoped && old.org === scoped.org && old.namespace === scoped.namespace && old.tenant === scoped.tenant) scoped = old;
    memo = { dirKey, scoped, errors: own };
    scopes.set(c, memo);
  }
  for (const e of memo.errors) errors.push(e);
  return memo.scoped;
}


/** Two documents with one kind/namespace/name: every occurrence is reported, the first one kept. */
function dropDuplicates(scoped: Scoped[], errors: LoadError[]): Scoped[] {
  const first = new Map<string, Scoped>();
  // Only clashing keys get a group: a revision of 10k documents usually has none.
  const groups = new Map<string, Scoped[]>();
  for (const s of scoped) {
    const key = (s.key ??= resourceKey({ kind: s.def.kind, namespace: s.namespace, name: s.resource.metadata.name }));
    const seen = first.get(key);
    if (seen === undefined) first.set(key, s);
    else groups.set(key, [...(groups.get(key) ?? [seen]), s]);
  }
  if (groups.size === 0) return scoped;
  for (const [key, group] of groups) {
    for (const s of group) {
      const others = group.filter((o) => o !== s).map(where).join(', ');
      errors.push(errorAt(s, '/metadata/name', 'DUPLICATE_RESOURCE', `${key} is declared more than once (also at ${others})`));
    }
  }
  return scoped.filter((s) => first.get(s.key!) === s);
}
