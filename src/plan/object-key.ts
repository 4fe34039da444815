import type { KubeObject, ObjectRef } from '../cluster/types.ts';

/**
 * The one identity of a Kubernetes object across the sync pipeline (gitops-engine's ResourceKey): the
 * version is left out, so an object applied as v1beta1 and planned as v1 is the same object.
 */
export interface ObjectKey {
  group: string;
  kind: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
}

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function objectKey(obj: KubeObject | ObjectRef): ObjectKey {
  const meta = 'metadata' in obj ? obj.metadata : obj;
  return { group: groupOf(obj.apiVersion), kind: obj.kind, namespace: meta.namespace ?? '', name: meta.name };
}

/** The key as map-key text: `group/Kind/namespace/name`, the same text as cluster's objectIdentity. */
export function keyText(key: ObjectKey): string {
  return `${key.group}/${key.kind}/${key.namespace}/${key.name}`;
}

/** Key texts of objects already seen: a render hands the same objects to pass after pass. */
const texts = new WeakMap<object, string>();

/** keyText(objectKey(obj)), computed once per object (objects are never changed once rendered). */
export function keyTextOf(obj: KubeObject): string {
  let text = texts.get(obj);
  if (text === undefined) texts.set(obj, (text = keyText(objectKey(obj))));
  return text;
}
