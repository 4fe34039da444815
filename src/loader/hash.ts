import { createHash } from 'node:crypto';
import type { Resource } from '../kinds/index.ts';

/** JSON with object keys sorted at every level: equal content gives equal text, whatever the key order. */
export function canonicalJson(value: unknown): string {
  // String building in loops, not map/filter/join: this runs over every document of a cold load.
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  let out = '{';
  for (const k of Object.keys(obj).sort()) {
    const v = obj[k];
    if (v === undefined) continue;
    out += (out.length > 1 ? ',' : '') + JSON.stringify(k) + ':' + canonicalJson(v);
  }
  return `${out}}`;
}

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
