import type { ErrorDetail } from '../errors/index.ts';
import type { DesiredResource, DesiredState, LoadResult } from '../loader/index.ts';
import { diffStates } from './diff-states.ts';
import type { FieldChange } from './field-diff.ts';

/** A cluster object by identity (the shape of cluster/'s ObjectRef, restated: plan/ does not import cluster/). */
export interface PreviewObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** What applying head would do to one object: create it, change it, prune it, or leave it (prune disabled). */
export type ObjectAction = 'create' | 'change' | 'prune' | 'keep';

export interface PreviewObject extends PreviewObjectRef {
  action: ObjectAction;
}

export interface PreviewResource {
  key: string;
  kind: string;
  org: string | null;
  name: string;
  path: string;
  line: number;
  hash: string;
  objects: PreviewObject[];
}

export interface PreviewChange extends PreviewResource {
  changes: FieldChange[];
}

/** Validation and plan of head against base, with the cluster objects each resource change touches. */
export interface Preview {
  base: string;
  head: string;
  baseRevision: string | null;
  headRevision: string;
  valid: boolean;
  baseValid: boolean;
  errors: ErrorDetail[];
  /** Head's warnings (UNKNOWN_FIELD, ...), whether or not it is valid: what a reviewer should look at twice. */
  warnings: ErrorDetail[];
  created: PreviewResource[];
  changed: PreviewChange[];
  deleted: PreviewResource[];
  unchanged: number;
}

/** The projection, injected: plan/ stays pure and free of cluster/. */
export interface PreviewProjector {
  objects(r: DesiredResource, state: DesiredState): PreviewObjectRef[];
  /** True when a resource's objects stay in the cluster after it leaves the repo (`kradle.a5c.ai/prune: disabled`). */
  keepsOnDelete(r: DesiredResource): boolean;
}

const identity = (o: PreviewObjectRef) => `${o.apiVersion}/${o.kind}/${o.namespace ?? ''}/${o.name}`;
const ref = ({ apiVersion, kind, namespace, name }: PreviewObjectRef): PreviewObjectRef => ({ apiVersion, kind, ...(namespace ? { namespace } : {}), name });

function entry(r: DesiredResource, objects: PreviewObject[]): PreviewResource {
  return { key: r.key, kind: r.id.kind, org: r.org, name: r.id.name, path: r.source.path, line: r.source.line, hash: r.hash, objects };
}

/** Objects of head (created or changed) and those of base that head no longer produces (pruned or kept). */
function objectPlan(before: PreviewObjectRef[], after: PreviewObjectRef[], keeps: boolean): PreviewObject[] {
  const had = new Set(before.map(identity));
  const has = new Set(after.map(identity));
  return [
    ...after.map((o) => ({ ...ref(o), action: had.has(identity(o)) ? ('change' as const) : ('create' as const) })),
    ...before.filter((o) => !has.has(identity(o))).map((o) => ({ ...ref(o), action: keeps ? ('keep' as const) : ('prune' as const) })),
  ];
}

const revisionOf = (r: LoadResult) => (r.ok ? r.state.revision : r.revision);

/**
 * Head against base. An invalid head plans nothing; an invalid base is diffed as empty (a pull request may
 * fix a broken base), and says so with baseValid.
 */
export function buildPreview(names: { base: string; head: string }, from: LoadResult, to: LoadResult, project: PreviewProjector): Preview {
  const common = { ...names, baseValid: from.ok, warnings: to.warnings, created: [], changed: [], deleted: [], unchanged: 0 };
  if (!to.ok) return { ...common, baseRevision: revisionOf(from), headRevision: to.revision, valid: false, errors: to.errors };
  const baseState = from.ok ? from.state : undefined;
  const diff = diffStates(baseState, to.state);
  const objectsOf = (r: DesiredResource, s: DesiredState) => project.objects(r, s);
  return {
    ...common,
    baseRevision: revisionOf(from),
    headRevision: diff.headRevision,
    valid: true,
    errors: [],
    created: diff.created.map((r) => entry(r, objectPlan([], objectsOf(r, to.state), false))),
    changed: diff.changed.map((c) => ({
      ...entry(c.head, objectPlan(objectsOf(c.base, baseState!), objectsOf(c.head, to.state), project.keepsOnDelete(c.base))),
      changes: c.changes,
    })),
    deleted: diff.deleted.map((r) => entry(r, objectPlan(objectsOf(r, baseState!), [], project.keepsOnDelete(r)))),
    unchanged: diff.unchanged,
  };
}
