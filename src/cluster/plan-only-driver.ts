import { labelMatcher } from '../store/label-selector.ts';
import { objectIdentity, objectRef, sortForApply } from './apply-order.ts';
import type { ApplyOutcome, ClusterDriver, KubeObject, ObjectRef, WatchHandle } from './types.ts';

/** Condition reason and message a reconciler reports when it runs without a cluster. */
export const PLAN_ONLY_REASON = 'PlanOnly';
export const PLAN_ONLY_MESSAGE = 'no kubeconfig: plan-only mode, objects are computed and recorded, not applied';

export interface PlanOnlyDriver extends ClusterDriver {
  readonly mode: 'plan-only';
  /** Every object it was asked to apply and that was not deleted since, in apply order. */
  planned(): KubeObject[];
  /** The status last recorded for an object by applyStatus (kept apart from planned(), which renders manifests). */
  plannedStatus(ref: ObjectRef): Record<string, unknown> | undefined;
}

/**
 * The cluster driver used when there is no kubeconfig: apply records the object (action `planned`),
 * applyStatus records the status apart, delete forgets both, get/list read the objects back, watch never fires, every kind counts as served.
 */
export function createPlanOnlyDriver(): PlanOnlyDriver {
  const records = new Map<string, KubeObject>();
  const statuses = new Map<string, Record<string, unknown>>();
  const idle: WatchHandle = { stop() {} };

  return {
    mode: 'plan-only',
    async apply(obj): Promise<ApplyOutcome> {
      records.set(objectIdentity(obj), structuredClone(obj));
      return { ref: objectRef(obj), action: 'planned' };
    },
    async applyStatus(ref, status) {
      statuses.set(objectIdentity(ref), structuredClone(status));
      return 'planned';
    },
    async delete(ref: ObjectRef) {
      records.delete(objectIdentity(ref));
      statuses.delete(objectIdentity(ref));
      return 'planned';
    },
    async get(ref) {
      const found = records.get(objectIdentity(ref));
      return found && structuredClone(found);
    },
    async list(apiVersion, kind, opts = {}) {
      const found = [...records.values()].filter(
        (o) =>
          o.apiVersion === apiVersion &&
          o.kind === kind &&
          (opts.namespace === undefined || o.metadata.namespace === opts.namespace) &&
          labelMatcher(opts.labelSelector)(o.metadata.labels ?? {}),
      );
      return sortForApply(found).map((o) => structuredClone(o));
    },
    async watch() {
      return idle;
    },
    async servesKind() {
      return true;
    },
    plannedStatus(ref) {
      const found = statuses.get(objectIdentity(ref));
      return found && structuredClone(found);
    },
    planned() {
      return sortForApply([...records.values()]).map((o) => structuredClone(o));
    },
  };
}
