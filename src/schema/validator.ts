import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { kindDefinition } from '../kinds/index.ts';

// ajv-formats ships CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const SCHEMA_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

/** A schema violation: the JSON pointer of the offending value and a readable message. */
export interface SchemaIssue {
  pointer: string;
  message: string;
}

export interface SchemaValidator {
  /** Violations of the document's kind schema; the kind must be in the registry. */
  validate(doc: unknown): SchemaIssue[];
}

/** Compiles each schemas/<Kind>.json once, on first use, and keeps it for the process. */
export function createSchemaValidator(schemaDir = SCHEMA_DIR): SchemaValidator {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const compiled = new Map<string, ValidateFunction>();

  function compile(kind: string): ValidateFunction {
    let fn = compiled.get(kind);
    if (!fn) {
      fn = ajv.compile(JSON.parse(readFileSync(`${schemaDir}${kind}.json`, 'utf8')));
      compiled.set(kind, fn);
    }
    return fn;
  }

  return {
    validate(doc) {
      const kind = (doc as { kind?: unknown } | null)?.kind;
      if (typeof kind !== 'string' || !kindDefinition(kind)) {
        return [{ pointer: '/kind', message: `unknown kind ${JSON.stringify(kind)}` }];
      }
      const fn = compile(kind);
      return fn(doc) ? [] : simplify(fn.errors ?? []);
    },
  };
}

/** ajv reports every branch of a oneOf/allOf; keep the most specific message per pointer. */
function simplify(errors: ErrorObject[]): SchemaIssue[] {
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
