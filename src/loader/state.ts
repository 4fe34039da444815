import { NAMESPACE_LABEL, ORG_LABEL, resourceKey, type Resource } from '../kinds/index.ts';
import { contentHash } from './hash.ts';
import type { Scoped } from './scope.ts';
import type { DesiredResource, DesiredState } from './types.ts';

/**
 * The document as desired state: namespace resolved, the org and tenant-namespace labels of the original
 * Kradle set (so an old-style document and its plain equivalent are the same state), status left out.
 */
function normalize(s: Scoped): Resource {
  const { metadata, spec, apiVersion, kind } = s.resource;
  const labels = s.org === null ? metadata.labels : { ...(metadata.labels ?? {}), [ORG_LABEL]: s.org, [NAMESPACE_LABEL]: s.tenant! };
  const meta = { ...metadata, namespace: s.namespace, ...(labels ? { labels } : {}) };
  return { apiVersion, kind, metadata: meta, spec: spec ?? {} };
}

// Scoped documents are memoized per candidate and org directory (semantic.ts), so the built resource,
// hashing above all, is memoized on them: a reload builds only the resources of changed files.
const built = new WeakMap<Scoped, DesiredResource>();

export function toDesiredResource(s: Scoped): DesiredResource {
  const memo = built.get(s);
  if (memo) return memo;
  const object = normalize(s);
  const id = { kind: s.def.kind, namespace: s.namespace, name: s.resource.metadata.name };
  const { line, column } = positionOfDoc(s);
  const r: DesiredResource = {
    id,
    key: resourceKey(id),
    org: s.org,
    object,
    hash: contentHash(object, specJsonOf(s)),
    source: { path: s.path, line, column, index: s.doc.index },
  };
  built.set(s, r);
  return r;
}

/** The spec's canonical JSON when a worker made it (big documents), taken once: it is as large as the spec. */
function specJsonOf(s: Scoped): string | undefined {
  const json = s.doc.memo.specJson as string | undefined;
  delete s.doc.memo.specJson;
  return json;
}

function positionOfDoc(s: Scoped): { line: number; column: number } {
  const p = s.doc.start;
  return { line: Math.floor(p / 65536), column: p % 65536 };
}

const byKey = (a: DesiredResource, b: DesiredResource) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * Orders resources by key reusing the order of a previous (sorted) list: resources are memoized, so
 * after a small change most are the same objects and only the new ones need comparing.
 */
export function sortLike(list: DesiredResource[], previous: readonly DesiredResource[]): DesiredResource[] {
  const now = new Set(list);
  const kept = previous.filter((r) => now.has(r));
  if (kept.length === list.length) return kept;
  const old = new Set(kept);
  const added = list.filter((r) => !old.has(r)).sort(byKey);
  const out: DesiredResource[] = [];
  let i = 0;
  let j = 0;
  while (i < kept.length || j < added.length) {
    out.push(j >= added.length || (i < kept.length && byKey(kept[i]!, added[j]!) <= 0) ? kept[i++]! : added[j++]!);
  }
  return out;
}

/** An immutable desired state with its indexes (kind, org, name). */
export function createDesiredState(revision: string, list: DesiredResource[]): DesiredState {
  list.sort(byKey);
  const resources = new Map(list.map((r) => [r.key, r]));
  const byName = new Map<string, DesiredResource>();
  const byKind = new Map<string, DesiredResource[]>();
  const byOrg = new Map<string, DesiredResource[]>();
  const orgs: string[] = [];
  for (const r of list) {
    byName.set(`${r.id.kind}\0${r.org ?? ''}\0${r.id.name}`, r);
    push(byKind, r.id.kind, r);
    if (r.org !== null) push(byOrg, r.org, r);
    if (r.id.kind === 'Organization' && r.org !== null) orgs.push(r.org);
  }
  orgs.sort();
  return {
    revision,
    resources,
    get: (kind, org, name) => byName.get(`${kind}\0${org ?? ''}\0${name}`),
    byKind: (kind) => byKind.get(kind) ?? [],
    byOrg: (org) => byOrg.get(org) ?? [],
    orgs: () => orgs,
  };
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
