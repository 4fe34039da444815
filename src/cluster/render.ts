import YAML from 'yaml';
import { createHash } from 'node:crypto';
import { PLATFORM_NAMESPACE } from '../kinds/index.ts';
import { canonicalJson } from '../loader/index.ts';
import type { DesiredState } from '../loader/types.ts';
import { objectIdentity, sortForApply } from './apply-order.ts';
import { buildCrds } from './crds.ts';
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
 * Projections kept from the last render, by resource key and content hash. Only kinds that project nothing but
 * their custom resource are kept: theirs is a function of the document alone, while a native projection may
 * read other documents (a binding's template, a pool's service account) or the clock.
 */
export interface RenderCache {
  entries: Map<string, RenderedResource>;
}

interface RenderedResource {
  hash: string;
  objects: KubeObject[];
  /** objectIdentity of each object, kept with them: a render over unchanged resources builds no strings. */
  ids: string[];
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

/**
 * Everything a cluster needs for a revision, grouped by the resource that produced each object. With a cache,
 * a one-file commit projects the resources it touched and those whose projection reads other documents.
 */
export function renderGroups(state: DesiredState, opts: { now?: Date; crds?: KubeObject[]; cache?: RenderCache } = {}): ObjectGroups {
  const now = opts.now ?? new Date();
  // With a content hash, Kradle's own objects are applied when they change (a new Kradle version), not on every pass.
  const platform = [...(opts.crds ?? buildCrds()), PLATFORM_NAMESPACE_OBJECT].map(withContentHash);
  const groups: ObjectGroups = new Map([[PLATFORM_SOURCE_KEY, platform]]);
  const previous = opts.cache?.entries;
  const kept = new Map<string, RenderedResource>();
  const owner = new Map<string, string>();
  for (const r of state.resources.values()) {
    const cacheable = !NATIVE_PROJECTION_KINDS.includes(r.id.kind);
    const hit = cacheable ? previous?.get(r.key) : undefined;
    let rendered: RenderedResource;
    if (hit && hit.hash === r.hash) rendered = hit;
    else {
      const objects = projectResource(r, state, { now });
      rendered = { hash: r.hash, objects, ids: objects.map(objectIdentity) };
    }
    if (cacheable) kept.set(r.key, rendered);
    for (const id of rendered.ids) {
      // One object per identity, the last resource projecting it winning, as in projectState.
      const before = owner.get(id);
      if (before !== undefined) groups.set(before, groups.get(before)!.filter((o) => objectIdentity(o) !== id));
      owner.set(id, r.key);
    }
    groups.set(r.key, rendered.objects);
  }
  if (opts.cache) opts.cache.entries = kept;
  return groups;
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
