import type { ErrorDetail } from '../errors/index.ts';
import type { Resource, ResourceId } from '../kinds/index.ts';
import type { LoadWarning } from './errors.ts';

/** Where a document starts in the config repo. */
export interface SourcePosition {
  path: string;
  line: number;
  column: number;
  /** Index of the document in a multi-document file, from 0. */
  index: number;
}

export interface DesiredResource {
  /** kind, resolved namespace (tenant namespace, or kradle-system for platform-scoped kinds), name. */
  id: ResourceId;
  /** resourceKey(id): `Kind/namespace/name`. */
  key: string;
  /** The org slug, or null for platform documents without an organizationRef (e.g. a shared PolicyTemplate). */
  org: string | null;
  /** The document, normalized: metadata.namespace set to the resolved namespace, org label set. */
  object: Resource;
  /** sha256 over the canonical JSON of apiVersion, kind, metadata (name, namespace, labels, annotations) and spec. */
  hash: string;
  source: SourcePosition;
}

export interface DesiredState {
  revision: string;
  readonly resources: ReadonlyMap<string, DesiredResource>;
  get(kind: string, org: string | null, name: string): DesiredResource | undefined;
  byKind(kind: string): readonly DesiredResource[];
  byOrg(org: string): readonly DesiredResource[];
  /** Org slugs declared by Organization documents. */
  orgs(): readonly string[];
}

/**
 * A load's outcome. `warnings` (UNKNOWN_FIELD, ...) come either way, sorted as errors are, and never make a
 * revision invalid.
 */
export type LoadResult =
  | { ok: true; state: DesiredState; warnings: LoadWarning[]; stats: LoadStats }
  | { ok: false; revision: string; errors: ErrorDetail[]; warnings: LoadWarning[]; stats: LoadStats };

/** What a valid revision holds, counted without building its desired state (Loader.check). */
export interface RevisionSummary {
  revision: string;
  resources: number;
  /** Resources by kind, kinds in name order. */
  kinds: Record<string, number>;
  /** Org slugs declared by Organization documents, sorted. */
  orgs: string[];
}

/** A load that checks a revision only: the same errors as LoadResult, a summary in place of the state. */
export type CheckResult =
  | ({ ok: true; warnings: LoadWarning[]; stats: LoadStats } & RevisionSummary)
  | { ok: false; revision: string; errors: ErrorDetail[]; warnings: LoadWarning[]; stats: LoadStats };

export interface LoadStats {
  files: number;
  documents: number;
  parsedFiles: number;
  cachedFiles: number;
  /** Of parsedFiles, how many a worker thread parsed (large loads only). */
  parsedOnWorkers?: number;
  /** Documents whose references and value rules this load checked: the changed ones and those their changes reach. */
  checkedDocuments?: number;
  durationMs: number;
}
