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
 * `specJson` (the canonical JSON of r.spec) and `head` (headJson of the parsed document), when a parse worker made
 * them already, spare building them again on the main thread.
 */
export function contentHash(r: Resource, specJson?: string, head?: string): string {
  if (specJson === undefined) return createHash('sha256').update(canonicalJson(hashedView(r))).digest('hex');
  return createHash('sha256').update(restJson(r, head)).update(specJson).update('}').digest('hex');
}

/**
 * canonicalJson(hashedView(r)) up to the value of metadata.annotations: the part a parse worker can write, as
 * what follows (labels, namespace) is only known once the document is placed in its org. The annotations are
 * most of a document's metadata, so writing them on the worker takes the larger share off the main thread.
 */
export function headJson(r: Pick<Resource, 'apiVersion' | 'kind' | 'metadata'>): string {
  let out = '{';
  if (r.apiVersion !== undefined) out += `"apiVersion":${canonicalJson(r.apiVersion)},`;
  if (r.kind !== undefined) out += `"kind":${canonicalJson(r.kind)},`;
  return `${out}"metadata":{"annotations":${canonicalJson(r.metadata.annotations ?? {})}`;
}

/**
 * canonicalJson(hashedView(r)) up to its spec's value (`...,"spec":`), written out in the view's sorted key
 * order: done for every document of a cold load, after the parse, where a generic sorted walk cost twice this.
 */
function restJson(r: Resource, head = headJson(r)): string {
  const m = r.metadata;
  let out = `${head},"labels":${canonicalJson(m.labels ?? {})}`;
  if (m.name !== undefined) out += `,"name":${canonicalJson(m.name)}`;
  if (m.namespace !== undefined) out += `,"namespace":${canonicalJson(m.namespace)}`;
  return `${out}},"spec":`;
}
