import YAML from 'yaml';
import { createHash } from 'node:crypto';
import { PLATFORM_NAMESPACE } from '../kinds/index.ts';
import { canonicalJson, keysThatMayDiffer } from '../loader/index.ts';
import type { DesiredResource, DesiredState } from '../loader/types.ts';
import { objectIdentity, sortForApply } from './apply-order.ts';
import { buildCrds } from './crds.ts';
import { dependentsOf } from './projection-inputs.ts';
import { HASH_ANNOTATION, NATIVE_PROJECTION_KINDS, PLATFORM_SOURCE_KEY, projectResource, projectState } from './projections/index.ts';
import type { KubeObject } from './types.ts';

export interface RenderedFile {
  /** `<order>-<kind>[-<namespace>]-<name>.yaml`: `kubectl apply -f DIR` reads files in name order. */
  file: string;
  content: string;
  object: KubeObject;
}

/** Names of files a previous render wrote (safe to delete before writing a new one). */
export const RENDERED_FILE = /^\d{4,}-[a-z0-9.-]+\.yaml$/;

/**
 * The platform namespace the Organization and OrgNamespaceBinding records live in. Rendered so that
 * `kubectl apply` works on an empty cluster; never projected, so a live prune can never delete it.
 */
export function platformNamespace(): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: PLATFORM_NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'kradle' } } };
}

/** Everything a cluster needs for a revision: Kradle's CRDs, the platform namespace, every projected object. */
export function renderObjects(state: DesiredState, opts: { now?: Date; crds?: KubeObject[] } = {}): KubeObject[] {
  return sortForApply([...(opts.crds ?? buildCrds()), platformNamespace(), ...projectState(state, { now: opts.now })]);
}

/** A revision's objects grouped by the resource that produced them; Kradle's own under PLATFORM_SOURCE_KEY. */
export type ObjectGroups = Map<string, KubeObject[]>;

/**
 * What one render keeps for the next: each resource's projection (by key, with the content hash it was made
 * from), and the last render's groups with the owner of each object. A render of a state that shares its base
 * with the last one re-projects only the resources that may differ and those whose projection reads them
 * (projection-inputs.ts), and updates the groups in place.
 */
export interface RenderCache {
  entries: Map<string, RenderedResource>;
  last?: LastRender;
}

interface RenderedResource {
  hash: string;
  objects: KubeObject[];
  /** objectIdentity of each object, kept with them: a render over unchanged resources builds no strings. */
  ids: string[];
}

interface LastRender {
  state: DesiredState;
  now: Date;
  crds?: KubeObject[];
  groups: ObjectGroups;
  /** Counts renders: a reader of `changed` checks that it saw render `since`. */
  version: number;
  /** Objects in all groups. */
  count: number;
  /** Object identity -> the resource key whose projection of it wins (the greatest key, as in projectState). */
  owner: Map<string, string>;
  /** Identities more than one resource projects: every claimant. */
  contested: Map<string, string[]>;
}

export const createRenderCache = (): RenderCache => ({ entries: new Map() });

/** Kradle's own objects (CRDs, the platform namespace) carrying their content hash, made once per object. */
const hashed = new WeakMap<KubeObject, KubeObject>();
function withContentHash(obj: KubeObject): KubeObject {
  let out = hashed.get(obj);
  if (!out) {
    const hash = createHash('sha256').update(canonicalJson(obj)).digest('hex');
    out = { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, [HASH_ANNOTATION]: hash } } };
    hashed.set(obj, out);
  }
  return out;
}
const PLATFORM_NAMESPACE_OBJECT = platformNamespace();

export interface RenderChanges {
  groups: ObjectGroups;
  /** This render's number; numbers follow each other for one cache. */
  version: number;
  /** How many objects the groups hold in all. */
  count: number;
  /**
   * Keys of the groups that may differ from those of render `since` (removed ones included); both undefined
   * when every group was rendered anew. The groups are the cache's own, updated in place by the next render.
   */
  changed?: ReadonlySet<string>;
  since?: number;
  /**
   * Keys of the groups whose objects changed though their resource did not (its projection reads a document
   * that changed): their content hash, the resource's, says nothing of the change, so they must be applied.
   */
  forced: ReadonlySet<string>;
  /** The key of the resource whose group holds the object of this identity (Kradle's own objects have none). */
  ownerOf(id: string): string | undefined;
}

/**
 * Everything a cluster needs for a revision, grouped by the resource that produced each object. With a cache,
 * a one-file commit projects the resources it touched and those whose projection reads them.
 */
export function renderGroups(state: DesiredState, opts: { now?: Date; crds?: KubeObject[]; cache?: RenderCache } = {}): ObjectGroups {
  return renderChanges(state, opts).groups;
}

/** renderGroups, telling which groups changed since the cache's last render; `full` renders every group anew. */
export function renderChanges(state: DesiredState, opts: { now?: Date; crds?: KubeObject[]; cache?: RenderCache; full?: boolean } = {}): RenderChanges {
  const now = opts.now ?? new Date();
  const last = opts.cache?.last;
  const keys = last && !opts.full && last.crds === opts.crds ? keysThatMayDiffer(last.state, state) : undefined;
  if (!opts.cache || !last || !keys) return renderAll(state, now, opts.crds, opts.cache);
  const cache = opts.cache;
  // The keys that may differ are every change since the states' common base; a resource the loader kept (the
  // same object) is no change since the last render.
  const moved = [...keys].filter((k) => last.state.resources.get(k) !== state.resources.get(k));
  const todo = dependentsOf(last.state, state, moved, last.now, now);
  for (const k of moved) todo.add(k);
  const changed = new Set<string>();
  const forced = new Set<string>();
  const claims = createClaims(last, changed);
  for (const key of todo) {
    const before = cache.entries.get(key);
    const r = state.resources.get(key);
    if (before) for (const id of before.ids) claims.release(id, key);
    changed.add(key);
    if (!r) {
      cache.entries.delete(key);
      continue;
    }
    const rendered = before && before.hash === r.hash && !NATIVE_PROJECTION_KINDS.includes(r.id.kind) ? before : project(r, state, now);
    if (movedUnder(before, rendered)) forced.add(key);
    cache.entries.set(key, rendered);
    for (const id of rendered.ids) claims.claim(id, key);
  }
  for (const key of changed) {
    const rendered = cache.entries.get(key);
    last.count -= last.groups.get(key)?.length ?? 0;
    if (rendered) {
      const objects = owned(rendered, key, last.owner);
      last.groups.set(key, objects);
      last.count += objects.length;
    } else last.groups.delete(key);
  }
  last.state = state;
  last.now = now;
  const since = last.version++;
  return { groups: last.groups, version: last.version, count: last.count, changed, since, forced, ownerOf: (id) => last.owner.get(id) };
}

/** Whether a resource's projection changed while the resource itself did not. */
function movedUnder(before: RenderedResource | undefined, after: RenderedResource): boolean {
  return before !== undefined && before !== after && before.hash === after.hash && canonicalJson(before.objects) !== canonicalJson(after.objects);
}

function project(r: DesiredResource, state: DesiredState, now: Date): RenderedResource {
  const objects = projectResource(r, state, { now });
  return { hash: r.hash, objects, ids: objects.map(objectIdentity) };
}

/** The objects of a resource it owns: all of them unless another resource projects one of the same identity. */
function owned(rendered: RenderedResource, key: string, owner: ReadonlyMap<string, string>): KubeObject[] {
  return rendered.ids.every((id) => owner.get(id) === key) ? rendered.objects : rendered.objects.filter((_, i) => owner.get(rendered.ids[i]!) === key);
}

function renderAll(state: DesiredState, now: Date, crds: KubeObject[] | undefined, cache: RenderCache | undefined): RenderChanges {
  // With a content hash, Kradle's own objects are applied when they change (a new Kradle version), not on every pass.
  const platform = [...(crds ?? buildCrds()), PLATFORM_NAMESPACE_OBJECT].map(withContentHash);
  const groups: ObjectGroups = new Map([[PLATFORM_SOURCE_KEY, platform]]);
  const previous = cache?.entries;
  const entries = new Map<string, RenderedResource>();
  const version = (cache?.last?.version ?? 0) + 1;
  const last: LastRender = { state, now, ...(crds ? { crds } : {}), groups, version, count: 0, owner: new Map(), contested: new Map() };
  const claims = createClaims(last, new Set());
  const forced = new Set<string>();
  for (const r of state.resources.values()) {
    const before = previous?.get(r.key);
    const rendered = before && before.hash === r.hash && !NATIVE_PROJECTION_KINDS.includes(r.id.kind) ? before : project(r, state, now);
    if (movedUnder(before, rendered)) forced.add(r.key);
    entries.set(r.key, rendered);
    for (const id of rendered.ids) claims.claim(id, r.key);
  }
  for (const [key, rendered] of entries) groups.set(key, owned(rendered, key, last.owner));
  for (const objects of groups.values()) last.count += objects.length;
  if (cache) Object.assign(cache, { entries, last });
  return { groups, version, count: last.count, forced, ownerOf: (id) => last.owner.get(id) };
}

/**
 * Who owns each object identity: one object per identity, the greatest resource key projecting it winning (the
 * last in key order, as projectState keeps it). A change of owner adds both keys to `moved`, whose groups
 * must then be recomputed.
 */
function createClaims(last: LastRender, moved: Set<string>) {
  const { owner, contested } = last;
  const settle = (id: string, claimants: string[]) => {
    const before = owner.get(id);
    let winner = claimants[0]!;
    for (const k of claimants) if (k > winner) winner = k;
    if (claimants.length > 1) contested.set(id, claimants);
    else contested.delete(id);
    owner.set(id, winner);
    if (before !== winner) {
      if (before !== undefined) moved.add(before);
      moved.add(winner);
    }
  };
  return {
    claim(id: string, key: string): void {
      const held = owner.get(id);
      if (held === undefined) owner.set(id, key);
      else if (held !== key) settle(id, [...(contested.get(id) ?? [held]), key]);
    },
    release(id: string, key: string): void {
      const claimants = contested.get(id);
      if (!claimants) {
        if (owner.get(id) === key) owner.delete(id);
        return;
      }
      const rest = claimants.filter((k) => k !== key);
      if (rest.length === 0) owner.delete(id);
      else settle(id, rest);
    },
  };
}

/** One YAML file per object, numbered in apply order. */
export function renderManifests(objects: readonly KubeObject[]): RenderedFile[] {
  const width = Math.max(4, String(objects.length).length);
  return sortForApply(objects).map((object, i) => {
    const { kind, metadata } = object;
    const parts = [String(i).padStart(width, '0'), kind.toLowerCase(), ...(metadata.namespace ? [metadata.namespace] : []), metadata.name];
    return { file: `${parts.join('-')}.yaml`, content: YAML.stringify(object, { lineWidth: 0 }), object };
  });
}
