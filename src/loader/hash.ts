import { createHash } from 'node:crypto';
import type { Resource } from '../kinds/index.ts';

/** JSON with object keys sorted at every level: equal content gives equal text, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
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

/** sha256 of the canonical JSON of apiVersion, kind, metadata (name, namespace, labels, annotations), spec. */
export function contentHash(r: Resource): string {
  return createHash('sha256').update(canonicalJson(hashedView(r))).digest('hex');
}
