import { NAMESPACE_LABEL, ORG_LABEL, resourceKey, type Resource } from '../kinds/index.ts';
import { contentHash } from './hash.ts';
import type { Scoped } from './scope.ts';
import type { DesiredResource, DesiredState, RevisionSummary } from './types.ts';

/**
 * The document as desired state: namespace resolved, the org and tenant-namespace labels of the original
 * Kradle set (so an old-style document and its plain equivalent are the same state), status left out.
 */
function normalize(s: Scoped): Resource {
  const { metadata, spec, apiVersion, kind } = s.resource;
  let labels = metadata.labels;
  if (s.org !== null) {
    labels = copy(labels ?? {});
    labels[ORG_LABEL] = s.org;
    labels[NAMESPACE_LABEL] = s.tenant!;
  }
  const meta = copy(metadata as unknown as Record<string, unknown>) as unknown as Resource['metadata'];
  meta.namespace = s.namespace;
  if (labels) meta.labels = labels;
  return { apiVersion, kind, metadata: meta, spec: spec ?? {} };
}

/**
 * A shallow copy made key by key: objects of the same keys then share one hidden class. A spread followed by
 * more keys (`{ ...m, namespace }`) gives each copy a hidden class of its own, about 300 bytes per document.
 */
function copy<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o)) out[k] = o[k]!;
  return out;
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
    key: s.key ?? resourceKey(id),
    org: s.org,
    object,
    hash: contentHash(object, ...hashPartsOf(s)),
    source: { path: s.path, line, column, index: s.doc.index },
  };
  built.set(s, r);
  return r;
}

/** The spec's canonical JSON and the document's headJson when the parse made them, taken once: they are as large as the document. */
function hashPartsOf(s: Scoped): [string | undefined, string | undefined] {
  const memo = s.doc.memo;
  const parts: [string | undefined, string | undefined] = [memo.specJson as string | undefined, memo.headJson as string | undefined];
  // Not `delete`: that would turn every memo into a slow dictionary-mode object.
  memo.specJson = undefined;
  memo.headJson = undefined;
  return parts;
}

function positionOfDoc(s: Scoped): { line: number; column: number } {
  const p = s.doc.start;
  return { line: Math.floor(p / 65536), column: p % 65536 };
}

const byKey = (a: DesiredResource, b: DesiredResource) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const nameOf = (r: DesiredResource) => `${r.id.kind}\0${r.org ?? ''}\0${r.id.name}`;

/**
 * A state's resources in key order with its indexes: built once, shared by the states layered on it. Only the
 * key index is built at once (every state reads it); the name, kind and org indexes when first asked for, so a
 * base rebuilt after a large change (an org moved) costs a sort and one Map.
 */
class Base {
  readonly byKey = new Map<string, DesiredResource>();
  private names?: Map<string, DesiredResource>;
  private kinds?: Map<string, DesiredResource[]>;
  private orgs?: Map<string, DesiredResource[]>;

  constructor(readonly sorted: DesiredResource[]) {
    for (const r of sorted) this.byKey.set(r.key, r);
  }

  get byName(): Map<string, DesiredResource> {
    if (!this.names) {
      this.names = new Map();
      for (const r of this.sorted) this.names.set(nameOf(r), r);
    }
    return this.names;
  }

  get byKind(): Map<string, DesiredResource[]> {
    if (!this.kinds) {
      this.kinds = new Map();
      for (const r of this.sorted) push(this.kinds, r.id.kind, r);
    }
    return this.kinds;
  }

  get byOrg(): Map<string, DesiredResource[]> {
    if (!this.orgs) {
      this.orgs = new Map();
      for (const r of this.sorted) if (r.org !== null) push(this.orgs, r.org, r);
    }
    return this.orgs;
  }
}

function buildBase(sorted: DesiredResource[]): Base {
  return new Base(sorted);
}

/** A resource replaced or added (a resource) or deleted (null), by key, relative to a base. */
export type StateDelta = ReadonlyMap<string, DesiredResource | null>;

/**
 * An immutable desired state: a shared base plus the few resources changed since it. A reload makes its state
 * in time proportional to what changed; the base is rebuilt once the changes grow past a share of it. Indexes
 * a caller asks for are computed on first use.
 */
class LayeredState implements DesiredState {
  readonly resources: ReadonlyMap<string, DesiredResource>;
  private readonly kinds = new Set<string>();
  private readonly orgSet = new Set<string>();
  private readonly names = new Map<string, DesiredResource | null>();
  private readonly memo = { byKind: new Map<string, readonly DesiredResource[]>(), byOrg: new Map<string, readonly DesiredResource[]>() };
  private list?: DesiredResource[];
  private orgList?: string[];
  private readonly count: number;

  constructor(readonly revision: string, readonly base: Base, readonly delta: StateDelta) {
    let count = base.sorted.length;
    for (const [key, r] of delta) {
      const old = base.byKey.get(key);
      if (old) (count--, this.touch(old), this.names.set(nameOf(old), null));
      if (r) (count++, this.touch(r));
    }
    for (const r of delta.values()) if (r) this.names.set(nameOf(r), r);
    this.count = count;
    this.resources = resourceView(this);
  }

  private touch(r: DesiredResource): void {
    this.kinds.add(r.id.kind);
    if (r.org !== null) this.orgSet.add(r.org);
  }

  get size(): number {
    return this.count;
  }

  lookupKey(key: string): DesiredResource | undefined {
    const d = this.delta.get(key);
    return d === undefined ? this.base.byKey.get(key) : d ?? undefined;
  }

  /** Every resource in key order. */
  sorted(): DesiredResource[] {
    if (this.delta.size === 0) return this.base.sorted;
    return (this.list ??= mergeSorted(this.base.sorted, this.delta));
  }

  get(kind: string, org: string | null, name: string): DesiredResource | undefined {
    const k = `${kind}\0${org ?? ''}\0${name}`;
    const d = this.names.get(k);
    return d === undefined ? this.base.byName.get(k) : d ?? undefined;
  }

  byKind(kind: string): readonly DesiredResource[] {
    if (!this.kinds.has(kind)) return this.base.byKind.get(kind) ?? [];
    let l = this.memo.byKind.get(kind);
    if (!l) this.memo.byKind.set(kind, (l = mergeSorted(this.base.byKind.get(kind) ?? [], this.delta, (r) => r.id.kind === kind)));
    return l;
  }

  byOrg(org: string): readonly DesiredResource[] {
    if (!this.orgSet.has(org)) return this.base.byOrg.get(org) ?? [];
    let l = this.memo.byOrg.get(org);
    if (!l) this.memo.byOrg.set(org, (l = mergeSorted(this.base.byOrg.get(org) ?? [], this.delta, (r) => r.org === org)));
    return l;
  }

  orgs(): readonly string[] {
    return (this.orgList ??= this.byKind('Organization').flatMap((r) => (r.org === null ? [] : [r.org])).sort());
  }
}

/** `sorted` with the delta applied (only resources `keep` accepts added), in key order. */
function mergeSorted(sorted: readonly DesiredResource[], delta: StateDelta, keep: (r: DesiredResource) => boolean = () => true): DesiredResource[] {
  const added: DesiredResource[] = [];
  for (const [key, r] of delta) if (r && keep(r) && !findKey(sorted, key)) added.push(r);
  added.sort(byKey);
  const out: DesiredResource[] = [];
  let j = 0;
  for (const r of sorted) {
    while (j < added.length && added[j]!.key < r.key) out.push(added[j++]!);
    const d = delta.get(r.key);
    if (d === undefined) out.push(r);
    else if (d !== null && keep(d)) out.push(d);
  }
  while (j < added.length) out.push(added[j++]!);
  return out;
}

/** Binary search of a key-sorted list (every list of a base is). */
function findKey(sorted: readonly DesiredResource[], key: string): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const k = sorted[mid]!.key;
    if (k === key) return true;
    if (k < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/**
 * The state's resources as a read-only Map in key order: the base's own Map when nothing changed since it,
 * else lookups through the changes, and iteration that merges the base's sorted list with the changes as it
 * goes (building a Map of every resource cost a diff at 100,000 documents ~200 ms).
 */
function resourceView(s: LayeredState): ReadonlyMap<string, DesiredResource> {
  if (s.delta.size === 0) return s.base.byKey;
  function* entries(): Generator<[string, DesiredResource]> {
    for (const r of s.sorted()) yield [r.key, r];
  }
  function* keys(): Generator<string> {
    for (const r of s.sorted()) yield r.key;
  }
  const view = {
    get size() {
      return s.size;
    },
    get: (key: string) => s.lookupKey(key),
    has: (key: string) => s.lookupKey(key) !== undefined,
    forEach: (fn: (v: DesiredResource, k: string, m: ReadonlyMap<string, DesiredResource>) => void, thisArg?: unknown) => {
      for (const r of s.sorted()) fn.call(thisArg, r, r.key, view);
    },
    entries,
    keys,
    values: () => s.sorted()[Symbol.iterator](),
    [Symbol.iterator]: entries,
  } as ReadonlyMap<string, DesiredResource>;
  return view;
}

/**
 * The keys whose resource may differ between two states this module made from the same base (those either
 * changed since it); undefined when they share no base. A diff of two revisions a loader loaded one after the
 * other then compares a handful of resources instead of every one.
 */
export function keysThatMayDiffer(a: DesiredState, b: DesiredState): ReadonlySet<string> | undefined {
  if (!(a instanceof LayeredState) || !(b instanceof LayeredState) || a.base !== b.base) return undefined;
  const keys = new Set(a.delta.keys());
  for (const k of b.delta.keys()) keys.add(k);
  return keys;
}

/** An immutable desired state with its indexes (kind, org, name). */
export function createDesiredState(revision: string, list: DesiredResource[]): DesiredState {
  return new LayeredState(revision, buildBase([...list].sort(byKey)), new Map());
}

/**
 * The state after `changes` (by key: the new resource, or null for a deleted one) to `previous`, a state this
 * module made. Shares its base while the accumulated changes stay small.
 */
export function nextDesiredState(previous: DesiredState, revision: string, changes: StateDelta): DesiredState {
  if (!(previous instanceof LayeredState)) throw new Error('nextDesiredState needs a state made by createDesiredState');
  const { base } = previous;
  if (changes.size === 0) return new LayeredState(revision, base, previous.delta);
  const delta = new Map(previous.delta);
  for (const [key, r] of changes) {
    // Back to the base's own resource (a diff going back): no longer a change.
    if (r === (base.byKey.get(key) ?? null)) delta.delete(key);
    else delta.set(key, r);
  }
  if (delta.size <= Math.max(64, Math.min(4096, base.sorted.length >> 4))) return new LayeredState(revision, base, delta);
  return new LayeredState(revision, buildBase(mergeSorted(base.sorted, delta)), new Map());
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** The summary Loader.check gives, of a state a load built. */
export function summaryOf(state: DesiredState): RevisionSummary {
  const kinds: Record<string, number> = {};
  for (const k of [...new Set([...state.resources.values()].map((r) => r.id.kind))].sort()) kinds[k] = state.byKind(k).length;
  return { revision: state.revision, resources: state.resources.size, kinds, orgs: [...state.orgs()] };
}
