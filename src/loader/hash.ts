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
  const { spec: _, ...rest } = hashedView(r);
  // spec sorts last of the four keys: the text is the rest's, with spec added before its closing brace.
  return createHash('sha256').update(canonicalJson(rest).slice(0, -1)).update(',"spec":').update(specJson).update('}').digest('hex');
}
