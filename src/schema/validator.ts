import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { kindDefinition } from '../kinds/index.ts';
import { newAjv } from './ajv.ts';
import { specShape, unknownKeys, type FieldShape } from './known-fields.ts';
import { precompiledValidators } from './precompiled.ts';

const SCHEMA_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));
// Where the build puts the generated validators: dist/schema/compiled/. Under src/ it does not exist.
const PRECOMPILED_DIR = fileURLToPath(new URL('./compiled/', import.meta.url));

/**
 * Where the default validator finds the schemas and the generated validators: a parse worker given them makes
 * the same validator (its own bundle lies elsewhere, so it cannot find them from its own location).
 */
export const DEFAULT_SCHEMA_DIRS: SchemaDirs = { schemaDir: SCHEMA_DIR, precompiledDir: PRECOMPILED_DIR };

export interface SchemaDirs {
  schemaDir: string;
  precompiledDir: string | null;
}

/** A schema violation: the JSON pointer of the offending value and a readable message. */
export interface SchemaIssue {
  pointer: string;
  message: string;
}

export interface SchemaValidator {
  /** Violations of the document's kind schema; the kind must be in the registry. */
  validate(doc: unknown): SchemaIssue[];
  /**
   * JSON pointers of the spec fields the kind's schema does not list (known-fields.ts): the schema accepts them
   * (forward compatibility), so they are not issues, but one is most often a typo. None for a kind not in the registry.
   */
  unknownFields(doc: unknown): string[];
  /** How many kinds so far came precompiled and how many were compiled in this process. */
  counts(): { precompiled: number; compiled: number };
}

/**
 * Gets each schemas/<Kind>.json's validator once, on first use, and keeps it for the process: the one the
 * build generated from the same schema text when there is one (precompiledDir; null for none), else compiled.
 */
export function createSchemaValidator(schemaDir = SCHEMA_DIR, precompiledDir: string | null = PRECOMPILED_DIR): SchemaValidator {
  let ajv: Ajv | undefined;
  const precompiled = precompiledDir === null ? () => undefined : precompiledValidators(precompiledDir);
  const compiled = new Map<string, ValidateFunction>();
  const shapes = new Map<string, FieldShape | undefined>();
  const counts = { precompiled: 0, compiled: 0 };

  function compile(kind: string): ValidateFunction {
    let fn = compiled.get(kind);
    if (!fn) {
      const text = readFileSync(`${schemaDir}${kind}.json`, 'utf8');
      fn = precompiled(kind, text);
      if (fn) counts.precompiled++;
      else {
        fn = (ajv ??= newAjv()).compile(JSON.parse(text));
        counts.compiled++;
      }
      compiled.set(kind, fn);
    }
    return fn;
  }

  // Read apart from compile(): a precompiled validator never parses its schema's text, and this needs only its spec.
  function shapeOf(kind: string): FieldShape | undefined {
    if (!shapes.has(kind)) shapes.set(kind, specShape(JSON.parse(readFileSync(`${schemaDir}${kind}.json`, 'utf8'))));
    return shapes.get(kind);
  }

  return {
    counts: () => ({ ...counts }),
    unknownFields(doc) {
      const v = doc as { kind?: unknown; spec?: unknown } | null;
      if (typeof v?.kind !== 'string' || !kindDefinition(v.kind)) return [];
      return unknownKeys(v.spec, shapeOf(v.kind), '/spec');
    },
    validate(doc) {
      const kind = (doc as { kind?: unknown } | null)?.kind;
      if (typeof kind !== 'string' || !kindDefinition(kind)) {
        return [{ pointer: '/kind', message: `unknown kind ${JSON.stringify(kind)}` }];
      }
      const fn = compile(kind);
      return fn(doc) ? [] : schemaIssues(fn.errors ?? []);
    },
  };
}

/** ajv's errors as issues: ajv reports every branch of a oneOf/allOf, so keep the most specific message per pointer. */
export function schemaIssues(errors: ErrorObject[]): SchemaIssue[] {
  const byPointer = new Map<string, SchemaIssue>();
  for (const e of errors) {
    if (e.keyword === 'oneOf' || e.keyword === 'allOf' || e.keyword === 'if') continue;
    // The inner error of propertyNames: its 'propertyNames' sibling names the key, which says more.
    if (e.propertyName !== undefined && e.keyword !== 'propertyNames') continue;
    let pointer = e.instancePath;
    let message: string;
    switch (e.keyword) {
      case 'required':
        pointer = `${pointer}/${(e.params as { missingProperty: string }).missingProperty}`;
        message = 'is required';
        break;
      case 'additionalProperties':
        pointer = `${pointer}/${(e.params as { additionalProperty: string }).additionalProperty}`;
        message = 'is not a known field';
        break;
      case 'enum':
        message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'const':
        message = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
        break;
      case 'not':
        message = 'must not be empty';
        break;
      case 'propertyNames': {
        const key = (e.params as { propertyName: string }).propertyName;
        pointer = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        message = `key ${JSON.stringify(key)} is not a valid Kubernetes qualified name ([prefix/]name: a DNS subdomain prefix, a name of up to 63 letters, digits, '-', '_' or '.')`;
        break;
      }
      default:
        message = e.message ?? e.keyword;
    }
    if (!byPointer.has(pointer)) byPointer.set(pointer, { pointer, message });
  }
  return [...byPointer.values()];
}
