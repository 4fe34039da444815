import { createHash } from 'node:crypto';
import { canonicalJson, type Resource } from '../kinds/index.ts';

export { canonicalJson };

/** The part of a document that is desired state: what the content hash and the field diff cover. */
export function hashedView(r: Resource): Record<string, unknown> {
  const m = r.metadata;
  return {
    apiVersion: r.apiVersion,
    kind: r.kind,
    metadata: { name: m.name, namespace: m.namespace, labels: m.labels ?? {}, annotations: m.annotations ?? {} },
    spec: r.spec ?? {},
  };
}

/**
 * sha256 of the canonical JSON of apiVersion, kind, metadata (name, namespace, labels, annotations), spec.
 * `specJson`, the canonical JSON of r.spec when a worker made it already, spares building it again.
 */
export function contentHash(r: Resource, specJson?: string): string {
  if (specJson === undefined) return createHash('sha256').update(canonicalJson(hashedView(r))).digest('hex');
  return createHash('sha256').update(restJson(r)).update(specJson).update('}').digest('hex');
}

/**
 * canonicalJson(hashedView(r)) up to its spec's value (`...,"spec":`), written out in the view's sorted key
 * order: done for every document of a cold load, after the parse, where a generic sorted walk cost twice this.
 */
function restJson(r: Resource): string {
  const m = r.metadata;
  let out = '{';
  if (r.apiVersion !== undefined) out += `"apiVersion":${canonicalJson(r.apiVersion)},`;
  if (r.kind !== undefined) out += `"kind":${canonicalJson(r.kind)},`;
  out += `"metadata":{"annotations":${canonicalJson(m.annotations ?? {})},"labels":${canonicalJson(m.labels ?? {})}`;
  if (m.name !== undefined) out += `,"name":${canonicalJson(m.name)}`;
  if (m.namespace !== undefined) out += `,"namespace":${canonicalJson(m.namespace)}`;
  return `${out}},"spec":`;
}
