import type { HealthStatus } from '../../cluster/health/index.ts';
import type { ObjectRef } from '../../cluster/types.ts';
import { sanitize } from '../../errors/index.ts';
import type { Condition, InventoryEntry } from '../../store/types.ts';
import { derivePhase, getCondition, READY, RECONCILING, setCondition, STALLED, type ConditionInput } from '../conditions.ts';

/** What Kradle knows of one object a resource produced. */
export interface ObjectState {
  ref: ObjectRef;
  sync: InventoryEntry['syncStatus'] | 'Missing';
  health: HealthStatus;
  message: string;
  /** KindNotServed, ApplyFailed, PlanOnly, Applied: the reason of the object's last change. */
  reason: string;
}

/** Everything a custom resource's status is composed from. */
export interface StatusInput {
  generation?: number;
  /** The resource's own custom resource, as last applied. */
  self?: ObjectState;
  objects: ObjectState[];
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  /** Set while the last attempted revision failed validation: nothing of it was applied. */
  invalid?: { message: string };
  /** Conditions other domains set (positive polarity: False makes Ready False). */
  extra: ConditionInput[];
  /** Status fields other domains set (runner pool scaling, ...). */
  fields: Record<string, unknown>;
}

type Verdict = { ready: Condition['status']; reconciling: boolean; stalled: boolean; reason: string; message: string };

const MAX_MESSAGE = 1024;
export const clip = (text: string) => {
  const clean = sanitize(text);
  return clean.length > MAX_MESSAGE ? `${clean.slice(0, MAX_MESSAGE - 1)}…` : clean;
};
const name = (o: ObjectState) => `${o.ref.kind} ${o.ref.namespace ? `${o.ref.namespace}/` : ''}${o.ref.name}`;
const list = (objs: ObjectState[]) => clip(objs.map((o) => `${name(o)}: ${o.message}`).join('; '));

/** The first rule that matches explains Ready: validation, missing CRDs, apply failures, then health. */
function verdict(input: StatusInput): Verdict {
  const all = input.self ? [input.self, ...input.objects] : input.objects;
  const failed = (reason?: string) => all.filter((o) => o.sync === 'SyncFailed' && (reason === undefined || o.reason === reason));
  const health = (h: HealthStatus) => input.objects.filter((o) => o.health === h);
  if (input.invalid) return { ready: 'False', reconciling: false, stalled: true, reason: 'ValidationFailed', message: input.invalid.message };
  if (failed('KindNotServed').length) return { ready: 'False', reconciling: false, stalled: true, reason: 'KindNotServed', message: list(failed('KindNotServed')) };
  if (failed().length) return { ready: 'False', reconciling: true, stalled: false, reason: 'ApplyFailed', message: list(failed()) };
  if (all.some((o) => o.sync === 'Planned')) {
    return { ready: 'Unknown', reconciling: false, stalled: false, reason: 'PlanOnly', message: 'no kubeconfig: plan-only mode, objects are computed and recorded, not applied' };
  }
  if (health('Missing').length) return { ready: 'False', reconciling: true, stalled: false, reason: 'ObjectMissing', message: list(health('Missing')) };
  if (health('Degraded').length) return { ready: 'False', reconciling: false, stalled: false, reason: 'Degraded', message: list(health('Degraded')) };
  if (health('Progressing').length) return { ready: 'Unknown', reconciling: true, stalled: false, reason: 'Progressing', message: list(health('Progressing')) };
  const notReady = input.extra.find((c) => c.status === 'False');
  if (notReady) return { ready: 'False', reconciling: false, stalled: false, reason: notReady.reason, message: clip(notReady.message) };
  return { ready: 'True', reconciling: false, stalled: false, reason: 'Succeeded', message: 'every object is applied and healthy' };
}

/** Each condition set on the previous list, so lastTransitionTime follows the one rule of setCondition. */
function conditionsOf(inputs: readonly ConditionInput[], previous: readonly Condition[], now: string, generation?: number): Condition[] {
  return inputs.map((c) => {
    const input = { ...c, reason: c.reason || c.status, message: clip(c.message), ...(generation !== undefined ? { observedGeneration: generation } : {}) };
    return getCondition(setCondition(previous, input, now), c.type)!;
  });
}

/** gitops-engine's order: a resource is as healthy as its least healthy object. */
const HEALTH_ORDER: readonly HealthStatus[] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

export function worstHealth(objects: readonly Pick<ObjectState, 'health'>[]): HealthStatus {
  let worst = 0;
  for (const o of objects) worst = Math.max(worst, HEALTH_ORDER.indexOf(o.health));
  return HEALTH_ORDER[worst]!;
}

/**
 * The status of one Kradle custom resource: Ready, Reconciling and Stalled (always all three), the conditions
 * other domains added, phase, revisions and the sync/health of each object the resource produced.
 */
export function composeStatus(input: StatusInput, previous: Record<string, unknown> | undefined, now: Date): Record<string, unknown> {
  const prev = Array.isArray(previous?.conditions) ? (previous.conditions as Condition[]) : [];
  const v = verdict(input);
  const at = now.toISOString();
  const gen = input.generation;
  const core: ConditionInput[] = [
    { type: READY, status: v.ready, reason: v.reason, message: v.message },
    { type: RECONCILING, status: v.reconciling ? 'True' : 'False', reason: v.reconciling ? v.reason : 'Idle', message: v.reconciling ? v.message : '' },
    { type: STALLED, status: v.stalled ? 'True' : 'False', reason: v.stalled ? v.reason : 'Progressing', message: v.stalled ? v.message : '' },
  ];
  const coreTypes = new Set(core.map((c) => c.type));
  const conditions = conditionsOf([...core, ...input.extra.filter((c) => !coreTypes.has(c.type))], prev, at, gen);
  const status: Record<string, unknown> = {
    ...input.fields,
    ...(gen !== undefined ? { observedGeneration: gen } : {}),
    phase: v.reason === 'PlanOnly' ? 'Planned' : derivePhase(conditions),
    conditions,
    objects: input.objects.map((o) => ({
      apiVersion: o.ref.apiVersion, kind: o.ref.kind, ...(o.ref.namespace ? { namespace: o.ref.namespace } : {}), name: o.ref.name,
      sync: o.sync, health: o.health,
    })),
  };
  if (input.lastAppliedRevision) status.lastAppliedRevision = input.lastAppliedRevision;
  if (input.lastAttemptedRevision) status.lastAttemptedRevision = input.lastAttemptedRevision;
  return status;
}

/** Key-order independent JSON, so a status read back from the server compares equal to the one composed. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
