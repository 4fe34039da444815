import { sanitize } from '../errors/index.ts';
import type { Condition } from '../store/types.ts';

export type { Condition };

export const READY = 'Ready';
export const RECONCILING = 'Reconciling';
export const STALLED = 'Stalled';

/** The closed set of phases a reconciled resource shows, derived from its conditions by `derivePhase`. */
export type Phase = 'Pending' | 'Reconciling' | 'Ready' | 'Failed' | 'Stalled';

export type ConditionStatus = Condition['status'];

/** A condition to set; `lastTransitionTime` is decided by `setCondition`. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

export interface MarkOptions {
  now?: Date | string;
  observedGeneration?: number;
}

/** Long messages are cut: a condition is a summary, not a log. */
const MAX_MESSAGE = 4096;

function iso(now: Date | string | undefined): string {
  if (now === undefined) return new Date().toISOString();
  return typeof now === 'string' ? now : now.toISOString();
}

function cleanMessage(message: string): string {
  const clean = sanitize(message);
  return clean.length > MAX_MESSAGE ? `${clean.slice(0, MAX_MESSAGE - 1)}…` : clean;
}

export function getCondition(list: readonly Condition[], type: string): Condition | undefined {
  return list.find((c) => c.type === type);
}

export function isStatus(list: readonly Condition[], type: string, status: ConditionStatus): boolean {
  return getCondition(list, type)?.status === status;
}

export function isTrue(list: readonly Condition[], type: string): boolean {
  return isStatus(list, type, 'True');
}

/**
 * Returns a new list with `cond` set (replacing a condition of the same type in place, or appended).
 * `lastTransitionTime` is kept unless status, reason or message changed, so an unchanged condition
 * written on every reconcile does not look like a new event. Messages are sanitized.
 */
export function setCondition(list: readonly Condition[], cond: ConditionInput, now?: Date | string): Condition[] {
  const message = cleanMessage(cond.message);
  const old = getCondition(list, cond.type);
  const unchanged = old && old.status === cond.status && old.reason === cond.reason && old.message === message;
  const next: Condition = {
    type: cond.type,
    status: cond.status,
    reason: cond.reason,
    message,
    lastTransitionTime: unchanged ? old.lastTransitionTime : iso(now),
  };
  const generation = cond.observedGeneration ?? old?.observedGeneration;
  if (generation !== undefined) next.observedGeneration = generation;
  return old ? list.map((c) => (c.type === cond.type ? next : c)) : [...list, next];
}

export function removeCondition(list: readonly Condition[], type: string): Condition[] {
  return list.filter((c) => c.type !== type);
}

function mark(list: readonly Condition[], type: string, status: ConditionStatus, reason: string, message: string, opts: MarkOptions): Condition[] {
  return setCondition(list, { type, status, reason, message, observedGeneration: opts.observedGeneration }, opts.now);
}

export function markTrue(list: readonly Condition[], type: string, reason: string, message: string, opts: MarkOptions = {}): Condition[] {
  return mark(list, type, 'True', reason, message, opts);
}

export function markFalse(list: readonly Condition[], type: string, reason: string, message: string, opts: MarkOptions = {}): Condition[] {
  return mark(list, type, 'False', reason, message, opts);
}

export function markUnknown(list: readonly Condition[], type: string, reason: string, message: string, opts: MarkOptions = {}): Condition[] {
  return mark(list, type, 'Unknown', reason, message, opts);
}

/** Work is under way (or will be retried): Reconciling=True; a resource is never Reconciling and Stalled. */
export function markReconciling(list: readonly Condition[], reason: string, message: string, opts: MarkOptions = {}): Condition[] {
  return markTrue(removeCondition(list, STALLED), RECONCILING, reason, message, opts);
}

/** Only a change by the user can help: Stalled=True, and Reconciling goes. */
export function markStalled(list: readonly Condition[], reason: string, message: string, opts: MarkOptions = {}): Condition[] {
  return markTrue(removeCondition(list, RECONCILING), STALLED, reason, message, opts);
}

export interface SummarizeOptions extends MarkOptions {
  /** Reason and message of Ready=True (default `Succeeded`, `reconciliation succeeded`). */
  readyReason?: string;
  readyMessage?: string;
}

/**
 * The only function that sets Ready. It derives it from the negative `<Thing>Failed` conditions, in
 * the order given (the first one True explains Ready=False), then Stalled, then Reconciling
 * (Ready=Unknown while work is under way); with none of them, Ready=True.
 */
export function summarize(list: readonly Condition[], negativeTypes: readonly string[], opts: SummarizeOptions = {}): Condition[] {
  const failed = negativeTypes.map((t) => getCondition(list, t)).find((c) => c?.status === 'True');
  const stalled = getCondition(list, STALLED);
  const reconciling = getCondition(list, RECONCILING);
  if (failed) return markFalse(list, READY, failed.reason, failed.message, opts);
  if (stalled?.status === 'True') return markFalse(list, READY, stalled.reason, stalled.message, opts);
  if (reconciling?.status === 'True') return markUnknown(list, READY, reconciling.reason, reconciling.message, opts);
  return markTrue(list, READY, opts.readyReason ?? 'Succeeded', opts.readyMessage ?? 'reconciliation succeeded', opts);
}

/** Stalled wins, then Ready (True -> Ready, False -> Failed), then Reconciling; Pending before any reconcile. */
export function derivePhase(list: readonly Condition[]): Phase {
  if (isTrue(list, STALLED)) return 'Stalled';
  const ready = getCondition(list, READY);
  if (ready?.status === 'True') return 'Ready';
  if (ready?.status === 'False') return 'Failed';
  if (ready?.status === 'Unknown' || isTrue(list, RECONCILING)) return 'Reconciling';
  return 'Pending';
}
