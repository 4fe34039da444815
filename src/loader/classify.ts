import { GROUP, kindDefinition, resolveKind, type KindDefinition, type Resource } from '../kinds/index.ts';
import type { SchemaValidator } from '../schema/index.ts';
import type { LoadError, LoadWarning } from './errors.ts';
import { positionOf, type ParsedDoc } from './parse.ts';
import { NO_WARNINGS, unknownFieldWarnings } from './unknown-fields.ts';

/** A document that passed the per-document checks: a config kind of our group, schema-valid. */
export interface Candidate {
  path: string;
  doc: ParsedDoc;
  def: KindDefinition;
  resource: Resource;
}

/** A document of the revision: either a candidate or the errors that rule it out; either way, its warnings. */
export type Classified =
  | { ok: true; candidate: Candidate; warnings: LoadWarning[] }
  /** `ghost`: a config document that failed its schema; it still answers lookups, so its referrers don't cascade. */
  | { ok: false; errors: LoadError[]; ghost?: Candidate; warnings: LoadWarning[] };

const at = (path: string, doc: ParsedDoc, pointer: string, code: string, message: string): LoadError => ({
  path,
  ...positionOf(doc, pointer),
  code,
  message,
});

/** Per-document checks that need no other document: shape, API group, kind, storage, schema. */
export function classifyDocument(path: string, doc: ParsedDoc, validator: SchemaValidator): Classified {
  const v = doc.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    return fail(at(path, doc, '', 'NOT_AN_OBJECT', `a document must be a mapping with apiVersion, kind, metadata and spec, got ${describe(v)}`));
  }
  const { apiVersion, kind } = v as { apiVersion?: unknown; kind?: unknown };
  const group = typeof apiVersion === 'string' && apiVersion.includes('/') ? apiVersion.split('/')[0] : undefined;
  if (typeof apiVersion === 'string' && group !== GROUP) {
    return fail(at(path, doc, '/apiVersion', 'UNSUPPORTED_API_GROUP',
      `apiVersion ${JSON.stringify(apiVersion)} is not ${GROUP}: plain Kubernetes manifests are not supported yet, only Kradle kinds`));
  }
  const def = typeof kind === 'string' ? kindDefinition(kind) : undefined;
  if (!def) {
    return fail(at(path, doc, '/kind', 'UNKNOWN_KIND', `${unknownKind(path, kind)} (see \`kradle kinds\`)`));
  }
  if (def.storage === 'runtime') {
    return fail(at(path, doc, '/kind', 'RUNTIME_KIND_IN_REPO',
      `${def.kind} is a runtime kind stored in Postgres, not in the config repo: create it through the runtime API (POST /api/orgs/<org>/resources)`));
  }
  // Warned of whether or not the schema passes: a misspelt required field is both an error and an unknown field.
  const warnings = unknownFieldWarnings(path, doc, def.kind, validator);
  const issues = schemaIssues(doc, v, validator);
  if (issues.length) {
    const errors = issues.map((i) => at(path, doc, i.pointer, 'SCHEMA_VIOLATION', `${i.pointer || '/'} ${i.message}`));
    const named = typeof (v as Resource).metadata?.name === 'string' && typeof (v as Resource).spec === 'object';
    return { ok: false, errors, ghost: named ? { path, doc, def, resource: v as Resource } : undefined, warnings };
  }
  return { ok: true, candidate: { path, doc, def, resource: v as Resource }, warnings };
}

/** Schema validation is a pure function of the document: memoized on the cached parse. */
function schemaIssues(doc: ParsedDoc, v: object, validator: SchemaValidator) {
  const memo = doc.memo.schema as ReturnType<SchemaValidator['validate']> | undefined;
  if (memo) return memo;
  const issues = validator.validate(v);
  doc.memo.schema = issues;
  return issues;
}

function fail(e: LoadError): Classified {
  return { ok: false, errors: [e], warnings: NO_WARNINGS };
}

/**
 * What is wrong with a document's kind, with the kind most likely meant: "null is not a kind" would not say the
 * field is missing, and `team` or `teams` (as URLs and the CLI take them) are one letter or one `s` from right.
 */
function unknownKind(path: string, kind: unknown): string {
  if (kind === undefined || kind === null) {
    const dir = resolveKind(path.split('/').at(-2) ?? '');
    return `the document has no kind${dir ? `: add kind: ${dir.kind}, as its directory suggests` : ''}`;
  }
  const meant = typeof kind === 'string' ? resolveKind(kind) : undefined;
  return `${JSON.stringify(kind)} is not a kind of ${GROUP}${meant ? `: did you mean ${meant.kind}?` : ''}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return `a ${typeof v} (${JSON.stringify(v).slice(0, 40)})`;
}
