import type { ErrorDetail } from '../errors/index.ts';

/** A loader error always has a position: path, line and column. */
export type LoadError = Required<Pick<ErrorDetail, 'code' | 'message' | 'path' | 'line' | 'column'>>;

/** The stable codes of loader errors, one per class; fixtures/broken has a case for each. */
export const LOAD_ERROR_CODES = [
  'YAML_SYNTAX',
  'NOT_AN_OBJECT',
  'UNSUPPORTED_API_GROUP',
  'UNKNOWN_KIND',
  'RUNTIME_KIND_IN_REPO',
  'SCHEMA_VIOLATION',
  'DUPLICATE_RESOURCE',
  'MISSING_ORG',
  'NAMESPACE_MISMATCH',
  'ORG_LABEL_MISMATCH',
  'DANGLING_REF',
  'CROSS_ORG_REF_DENIED',
  'INVALID_VALUE',
  'CLUSTER_SCOPE_DENIED',
  'SYMLINK_NOT_SUPPORTED',
  'CREDENTIALS_IN_URL',
  'LIMIT_EXCEEDED',
] as const;

export type LoadErrorCode = (typeof LOAD_ERROR_CODES)[number];

/**
 * What a loader warns about: something it accepts (a warning never makes a revision invalid) but that is most
 * likely a mistake. Positioned as an error is, plus the field it is about (`spec.parentTeam`).
 */
export type LoadWarning = LoadError & Required<Pick<ErrorDetail, 'field'>>;

/** The stable codes of loader warnings. */
export const LOAD_WARNING_CODES = [
  /** A spec field the kind's schema does not list: accepted for forward compatibility, and ignored. */
  'UNKNOWN_FIELD',
] as const;

/** Errors of a file that did not parse: every other error may be caused by one, never the other way round. */
const PARSE_CODES = new Set<string>(['YAML_SYNTAX', 'LIMIT_EXCEEDED']);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const tier = (e: LoadError) => (PARSE_CODES.has(e.code) ? 0 : 1);

/**
 * Causal order, then the order a reader fixes them in: files that failed to parse first (their documents'
 * absence causes errors elsewhere, which say so), then by file, position and code; exact repeats dropped.
 */
export function sortErrors<E extends LoadError>(errors: E[]): E[] {
  const seen = new Set<string>();
  const unique = errors.filter((e) => {
    const k = `${e.path}:${e.line}:${e.column}:${e.code}:${e.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
  return unique.sort((a, b) =>
    tier(a) - tier(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line || a.column - b.column || cmp(a.code, b.code) || cmp(a.message, b.message)),
  );
}
