import { fieldName, type SchemaValidator } from '../schema/index.ts';
import type { LoadWarning } from './errors.ts';
import { positionOf, type ParsedDoc } from './parse.ts';

/** One frozen empty list for every document without an unknown field (its pointers and its warnings): most have none. */
export const NO_WARNINGS = Object.freeze([]) as unknown as never[];

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
    pointers = found.length ? found : NO_WARNINGS;
    doc.memo.unknown = pointers;
  }
  if (pointers.length === 0) return NO_WARNINGS;
  return pointers.map((pointer) => {
    const field = fieldName(doc.value, pointer);
    return { path, ...positionOf(doc, pointer), code: 'UNKNOWN_FIELD', field, message: `${field} is not a field of ${kind}; it is ignored` };
  });
}
