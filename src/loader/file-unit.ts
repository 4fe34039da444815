import type { SchemaValidator } from '../schema/index.ts';
import { classifyDocument, type Candidate } from './classify.ts';
import { sortErrors, type LoadError, type LoadWarning } from './errors.ts';
import type { BrokenDecl, ParsedFile } from './parse.ts';

/**
 * What one file at one path contributes to a revision before the cross-document checks: its syntax
 * and per-document errors, its candidates and ghosts. A pure function of (path, blob), so a loader
 * keeps units by path and blob id and a reload re-classifies only the files that changed; reused
 * candidates keep their identity, which lets the semantic pass reuse what it memoized on them.
 */
export interface FileUnit {
  errors: LoadError[];
  /** Sorted as a revision's warnings are (errors.ts): a revision's list is its files' lists in path order. */
  warnings: LoadWarning[];
  candidates: Candidate[];
  ghosts: Candidate[];
  /** The parse it was made from (shared by every path of the blob). */
  source: ParsedFile;
  /** What its documents that failed to parse still declare. */
  broken: BrokenDecl[];
  documents: number;
}

export function classifyFile(path: string, pf: ParsedFile, validator: SchemaValidator): FileUnit {
  const unit: FileUnit = { errors: [], warnings: [], candidates: [], ghosts: [], broken: pf.broken ?? [], documents: pf.docs.length, source: pf };
  for (const e of pf.errors) unit.errors.push({ path, line: e.line ?? 1, column: e.column ?? 1, code: e.code, message: e.message });
  for (const doc of pf.docs) {
    shareStrings(doc.value);
    const c = classifyDocument(path, doc, validator);
    for (const w of c.warnings) unit.warnings.push(w);
    if (c.ok) unit.candidates.push(c.candidate);
    else {
      unit.errors.push(...c.errors);
      if (c.ghost) unit.ghosts.push(c.ghost);
    }
  }
  // Most files have no errors, ghosts or broken documents: one shared empty list each saves ~100 bytes a file.
  if (unit.errors.length === 0) unit.errors = NONE;
  unit.warnings = unit.warnings.length === 0 ? NONE : sortErrors(unit.warnings);
  if (unit.ghosts.length === 0) unit.ghosts = NONE;
  if (unit.broken.length === 0) unit.broken = NONE;
  return unit;
}

// Frozen: a unit's lists are complete once it is made.
const NONE = Object.freeze([]) as unknown as never[];

const shared = new Map<string, string>();
// What the table may hold: its strings stay alive for the process.
const SHARED_MAX = 50_000;
let sharedChars = 4_000_000;

/**
 * One string for each value many documents repeat: the parser (or a worker's message) makes one per document.
 * Annotations may be long (a description, a tool's settings) and are often the same in many documents.
 */
function share(v: unknown, max = 64): unknown {
  if (typeof v !== 'string' || v.length > max) return v;
  const hit = shared.get(v);
  if (hit !== undefined) return hit;
  if (shared.size < SHARED_MAX && sharedChars >= v.length) (shared.set(v, v), (sharedChars -= v.length));
  return v;
}

/** Shares the values every document has (apiVersion, kind, org, namespace, label and annotation values). */
function shareStrings(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  const v = value as { apiVersion?: unknown; kind?: unknown; metadata?: Record<string, unknown>; spec?: Record<string, unknown> };
  if (typeof v.apiVersion === 'string') v.apiVersion = share(v.apiVersion);
  if (typeof v.kind === 'string') v.kind = share(v.kind);
  const m = v.metadata;
  if (m && typeof m === 'object') {
    if (typeof m.namespace === 'string') m.namespace = share(m.namespace);
    const labels = m.labels as Record<string, unknown> | undefined;
    if (labels && typeof labels === 'object') for (const k of Object.keys(labels)) labels[k] = share(labels[k]);
    const annotations = m.annotations as Record<string, unknown> | undefined;
    if (annotations && typeof annotations === 'object') for (const k of Object.keys(annotations)) annotations[k] = share(annotations[k], 4096);
  }
  const spec = v.spec;
  if (spec && typeof spec === 'object' && typeof spec.organizationRef === 'string') spec.organizationRef = share(spec.organizationRef);
}

/**
 * Units a load replaced, kept for two more loads by path and blob id: a diff alternates between base and
 * head, and going back to a blob reuses its unit (and the candidates memoized on it).
 */
export function createRetiredUnits() {
  let previous = new Map<string, { oid: string; unit: FileUnit }>();
  let current = new Map<string, { oid: string; unit: FileUnit }>();
  const hit = (m: typeof current, path: string, oid: string) => {
    const e = m.get(path);
    return e !== undefined && e.oid === oid ? e.unit : undefined;
  };
  return {
    get: (path: string, oid: string): FileUnit | undefined => hit(current, path, oid) ?? hit(previous, path, oid),
    retire(path: string, oid: string, unit: FileUnit): void {
      current.set(path, { oid, unit });
    },
    /** Ends a load. */
    rotate(): void {
      previous = current;
      current = new Map();
    },
  };
}
