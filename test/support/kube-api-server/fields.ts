// Field paths for server-side apply: maps are walked down to their leaves; lists and scalars are atomic
// leaves, as for lists without merge keys. Paths are keyed as JSON arrays because keys may hold dots.
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

export const clone = <T>(v: T): T => structuredClone(v);

function walk(value: Json, prefix: string[], out: Map<string, Json>): void {
  if (isObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) walk(v, [...prefix, k], out);
  } else out.set(JSON.stringify(prefix), value);
}

/**
 * The leaves a manager can own. scope 'main' covers everything but identity, metadata other than
 * labels/annotations/ownerReferences/finalizers, and (when it is a subresource) status.
 */
export function ownedLeaves(obj: JsonObject, scope: 'main' | 'status' | 'all'): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (k === 'status' ? scope === 'main' : scope === 'status') continue;
    if (k !== 'metadata') {
      walk(v, [k], out);
      continue;
    }
    if (!isObject(v)) continue;
    for (const m of ['labels', 'annotations', 'ownerReferences', 'finalizers']) {
      if (v[m] !== undefined) walk(v[m], ['metadata', m], out);
    }
  }
  return out;
}

/** Parsed paths by key: the same few paths recur on every object, and each apply looks them up many times. */
const parsed = new Map<string, readonly string[]>();
const PARSED_MAX = 10_000;

export function parsePath(key: string): string[] {
  let path = parsed.get(key);
  if (!path) {
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(key, (path = Object.freeze(JSON.parse(key) as string[])));
  }
  return path as string[];
}
export const displayPath = (key: string): string => '.' + parsePath(key).join('.');

/** Two paths overlap when one is a prefix of (or equal to) the other. */
export function overlaps(a: string, b: string): boolean {
  // Keys are JSON arrays of strings, which have one spelling each: a path is a prefix of another when its key,
  // without the closing bracket, starts the other's and ends there at an element boundary.
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  const end = short.length - 1;
  if (end <= 1) return true;
  return long.startsWith(short.slice(0, end)) && (long[end] === ']' || long[end] === ',');
}

export function getAt(obj: Json, path: string[]): Json | undefined {
  let cur: Json | undefined = obj;
  for (const k of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

export function setAt(obj: JsonObject, path: string[], value: Json): void {
  let cur = obj;
  for (const k of path.slice(0, -1)) {
    if (!isObject(cur[k])) cur[k] = {};
    cur = cur[k] as JsonObject;
  }
  const last = path[path.length - 1];
  // An empty map in an apply config claims the map; it never wipes what others put in it.
  if (isObject(value) && Object.keys(value).length === 0 && isObject(cur[last])) return;
  cur[last] = clone(value);
}

/** Deletes a leaf and prunes the maps it leaves empty. */
export function deleteAt(obj: JsonObject, path: string[]): void {
  const parents: JsonObject[] = [];
  let cur: Json | undefined = obj;
  for (const k of path.slice(0, -1)) {
    if (!isObject(cur)) return;
    parents.push(cur);
    cur = cur[k];
  }
  if (!isObject(cur)) return;
  delete cur[path[path.length - 1]];
  for (let i = parents.length - 1; i >= 0; i--) {
    const child = parents[i][path[i]];
    if (isObject(child) && Object.keys(child).length === 0) delete parents[i][path[i]];
    else break;
  }
}

/** Renders a set of leaf paths in the FieldsV1 format of metadata.managedFields. */
export function toFieldsV1(keys: Iterable<string>): JsonObject {
  const root: JsonObject = {};
  for (const key of keys) {
    let cur = root;
    for (const k of parsePath(key)) {
      const f = `f:${k}`;
      if (!isObject(cur[f])) cur[f] = {};
      cur = cur[f] as JsonObject;
    }
  }
  return root;
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
