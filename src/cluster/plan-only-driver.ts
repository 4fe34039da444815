import { labelMatcher } from '../store/label-selector.ts';
import { objectIdentity, objectRef, sortForApply } from './apply-order.ts';
import type { ApplyOutcome, ClusterDriver, KubeObject, ObjectRef, WatchHandle } from './types.ts';
import { flatString } from './flat-string.ts';

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
 *
 * Objects and statuses are held as their JSON text, as a cluster would hold them and read them back: a copy of
 * each object as a JS object graph was ~2.3 KB (45 MB at 20,000 objects with their statuses), its text a
 * fraction of that, and every read already handed out a fresh copy.
 */
export function createPlanOnlyDriver(): PlanOnlyDriver {
  const records = new Map<string, string>();
  const statuses = new Map<string, string>();
  const idle: WatchHandle = { stop() {} };
  const read = (text: string | undefined) => (text === undefined ? undefined : (JSON.parse(text) as KubeObject));

  return {
    mode: 'plan-only',
    async apply(obj): Promise<ApplyOutcome> {
      records.set(flatString(objectIdentity(obj)), flatString(JSON.stringify(obj)));
      return { ref: objectRef(obj), action: 'planned' };
    },
    async applyStatus(ref, status) {
      statuses.set(flatString(objectIdentity(ref)), flatString(JSON.stringify(status)));
      return 'planned';
    },
    async delete(ref: ObjectRef) {
      records.delete(objectIdentity(ref));
      statuses.delete(objectIdentity(ref));
      return 'planned';
    },
    async get(ref) {
      return read(records.get(objectIdentity(ref)));
    },
    async list(apiVersion, kind, opts = {}) {
      // An identity reads group/kind/namespace/name: only the texts under that prefix are parsed.
      const prefix = opts.namespace ? objectIdentity({ apiVersion, kind, namespace: opts.namespace, name: '' }) : objectIdentity({ apiVersion, kind, name: '' }).slice(0, -1);
      const matches = labelMatcher(opts.labelSelector);
      const found: KubeObject[] = [];
      for (const [id, text] of records) {
        if (!id.startsWith(prefix)) continue;
        const o = read(text)!;
        if (o.apiVersion === apiVersion && (opts.namespace === undefined || o.metadata.namespace === opts.namespace) && matches(o.metadata.labels ?? {})) found.push(o);
      }
      return sortForApply(found);
    },
    async watch() {
      return idle;
    },
    async servesKind() {
      return true;
    },
    plannedStatus(ref) {
      const text = statuses.get(objectIdentity(ref));
      return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
    },
    planned() {
      return sortForApply([...records.values()].map((text) => read(text)!));
    },
  };
}
