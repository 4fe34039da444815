import type { HealthStatus } from '../cluster/health/index.ts';
import type { KubeObject, ObjectRef } from '../cluster/types.ts';
import type { ObjectKey } from './object-key.ts';

/**
 * What applying or pruning did to one object, a closed set like Flux's ssa ChangeSet: Created, Configured,
 * Unchanged and Deleted as the server answered; Planned in plan-only mode; Skipped for an object kept on
 * prune (`kradle.a5c.ai/prune: disabled`); Deferred for an object to prune that was replaced or changed after
 * it was read (the delete's precondition failed: it stays tracked and is looked at again); Failed when the
 * server refused it or does not serve its kind.
 */
export type ChangeAction = 'Created' | 'Configured' | 'Unchanged' | 'Planned' | 'Deleted' | 'Skipped' | 'Deferred' | 'Failed';

export interface Change {
  key: ObjectKey;
  ref: ObjectRef;
  /** The Kradle resource (`Kind/namespace/name`) that produced the object, or the platform key. */
  sourceKey: string;
  action: ChangeAction;
  /** Applied, PlanOnly, KindNotServed, ApplyFailed, Pruned, PruneDisabled, PruneConflict, PruneFailed. */
  reason: string;
  message: string;
  /** Error code of a Failed change (KIND_NOT_SERVED, CONFLICT, ...). */
  code?: string;
  /** The health of the object as the server returned it, computed once here. */
  health: HealthStatus;
  contentHash: string;
  /** The object as the server returned it (applies in live mode only). */
  live?: KubeObject;
}

export type ChangeSet = readonly Change[];

/** The sync state an applied change leaves in the inventory; Deleted and Skipped leave the inventory. */
export function syncOf(action: ChangeAction): 'Synced' | 'Planned' | 'SyncFailed' | undefined {
  if (action === 'Created' || action === 'Configured' || action === 'Unchanged') return 'Synced';
  if (action === 'Planned') return 'Planned';
  if (action === 'Failed') return 'SyncFailed';
  return undefined;
}

/** Counts for the sync run, by action (lower case, as the run has always reported them). */
export function countChanges(changes: ChangeSet): Record<string, number> {
  const counts: Record<string, number> = { applied: 0, created: 0, configured: 0, unchanged: 0, failed: 0, missingKind: 0, planned: 0 };
  for (const c of changes) {
    if (c.action === 'Deleted' || c.action === 'Skipped' || c.action === 'Deferred') continue;
    if (c.action === 'Failed') {
      if (c.reason === 'KindNotServed') counts.missingKind!++;
      else counts.failed!++;
      continue;
    }
    counts[c.action.toLowerCase()]!++;
    if (c.action !== 'Planned') counts.applied!++;
  }
  return counts;
}
