import type { SchemaValidator } from '../schema/index.ts';
import type { LoadWarning } from './errors.ts';
import { positionOf, type ParsedDoc } from './parse.ts';

// Shared and frozen: most documents have no unknown field.
const NONE = Object.freeze([]) as unknown as never[];

/**
 * The spec fields of a config document its kind's schema does not list, as UNKNOWN_FIELD warnings: the document
 * stays valid (unknown fields are allowed, for forward compatibility), but a reviewer learns that a misspelt
 * `maintainer:` is ignored. The pointers are a pure function of the document, so they are memoized on the cached
 * parse (a parse worker finds them with its schema check); positions are looked up only for a document that has
 * some, since the first lookup parses its file again.
 */
export function unknownFieldWarnings(path: string, doc: ParsedDoc, kind: string, validator: SchemaValidator): LoadWarning[] {
  let pointers = doc.memo.unknown as readonly string[] | undefined;
  if (pointers === undefined) {
    const found = validator.unknownFields(doc.value);
    pointers = found.length ? found : NONE;
    doc.memo.unknown = pointers;
  }
  if (pointers.length === 0) return NONE;
  return pointers.map((pointer) => {
    const field = fieldName(doc.value, pointer);
    return { path, ...positionOf(doc, pointer), code: 'UNKNOWN_FIELD', field, message: `${field} is not a field of ${kind}; it is ignored` };
  });
}

/** `/spec/members/0/nmae` as kubectl writes a field: `spec.members[0].nmae` (the value tells a list index from a key). */
function fieldName(value: unknown, pointer: string): string {
  let at = value;
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += Array.isArray(at) ? `[${key}]` : out ? `.${key}` : key;
    at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  }
  return out;
}
