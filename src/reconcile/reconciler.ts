import { formatDetail, isKradleError, sanitize, type ErrorDisposition } from '../errors/index.ts';
import {
  derivePhase, markReconciling, markStalled, markTrue, removeCondition, summarize,
  RECONCILING, STALLED, isTrue, type Condition, type Phase,
} from './conditions.ts';
import type { HandlerResult } from './queue.ts';

/** What a step asks for: go on, or stop here and run the whole reconcile again later. */
export type StepResult = HandlerResult;

export interface ReconcileStatus {
  conditions: Condition[];
  phase?: Phase;
  /** The generation last reconciled to an end (success, or stalled on it). */
  observedGeneration?: number;
  /** Fields a reconciler adds (lastAppliedRevision, lastAttemptedRevision, counts, ...). */
  [field: string]: unknown;
}

/** What `load` found for a key. */
export interface Loaded<O> {
  object: O;
  generation?: number;
  /** The status as last saved; conditions carry over so unchanged ones keep their transition time. */
  status?: Partial<ReconcileStatus>;
  /** The object is being deleted: the `finalize` steps run instead of `steps`. */
  deleting?: boolean;
}

export interface ReconcileContext<O> {
  readonly reconciler: string;
  readonly key: string;
  readonly object: O;
  readonly generation: number | undefined;
  readonly signal: AbortSignal;
  /** The status this reconcile writes; steps set their own fields on it. */
  readonly status: ReconcileStatus;
  /** Marks Reconciling with `message` (and tells `onProgress`), so a long step shows where it is. */
  progress(message: string): Promise<void>;
}

export interface ReconcileStep<O> {
  /** A verb: fetchSource, applyPlan. */
  name: string;
  /** The one negative condition this step owns: set True on failure, removed on success. */
  condition: `${string}Failed`;
  run(ctx: ReconcileContext<O>): Promise<StepResult>;
}

export interface ReconcileOutcome {
  result: 'success' | 'requeue' | 'error';
  /** The step that stopped the reconcile (requeue or error). */
  step?: string;
  error?: { reason: string; message: string; disposition: ErrorDisposition };
  ready: Condition;
  phase: Phase;
}

export interface ReconcilerDefinition<O> {
  name: string;
  /** Reads the object; undefined when it is gone (nothing to do, nothing to save). */
  load(key: string, signal: AbortSignal): Promise<Loaded<O> | undefined>;
  steps: ReconcileStep<O>[];
  /** Steps run instead of `steps` when the object is being deleted. */
  finalize?: ReconcileStep<O>[];
  /** Persists ctx.status; called on every reconcile that loaded an object, even when a step threw. */
  saveStatus(ctx: ReconcileContext<O>): Promise<void>;
  /** Records the outcome (an event in the store); runs after the status is saved. */
  publish?(ctx: ReconcileContext<O>, outcome: ReconcileOutcome): Promise<void>;
  onProgress?(ctx: ReconcileContext<O>, message: string): Promise<void>;
  /** Message of Ready=True (default `reconciliation succeeded`). */
  readyMessage?(ctx: ReconcileContext<O>): string;
  clock?: () => Date;
}

export interface Reconciler {
  readonly name: string;
  /** load -> try { steps } finally { summarize; save status; publish }; rethrows a step's error after saving. */
  reconcile(key: string, signal?: AbortSignal): Promise<HandlerResult>;
}

type StepsEnd =
  | { result: 'success' }
  | { result: 'requeue'; step: string; next: StepResult }
  | { result: 'error'; step: string; error: unknown };

export function defineReconciler<O>(def: ReconcilerDefinition<O>): Reconciler {
  const negativeTypes = checkDefinition(def);
  const clock = def.clock ?? (() => new Date());
  const idle = new AbortController().signal;

  return {
    name: def.name,
    async reconcile(key, signal = idle) {
      const loaded = await def.load(key, signal);
      if (!loaded) return 'success';
      const ctx = createContext(def, key, loaded, signal, clock);
      const end = await runSteps(ctx, loaded.deleting ? def.finalize ?? [] : def.steps, clock);
      // A hard stop writes nothing more: another controller may already own this key.
      if (signal.aborted) throw end.result === 'error' ? end.error : signal.reason;
      const outcome = conclude(ctx, end, negativeTypes, clock(), def.readyMessage?.(ctx));
      await def.saveStatus(ctx);
      await def.publish?.(ctx, outcome);
      if (end.result === 'error') throw end.error;
      return end.result === 'requeue' ? end.next : 'success';
    },
  };
}

function checkDefinition<O>(def: ReconcilerDefinition<O>): string[] {
  const all = [...def.steps, ...(def.finalize ?? [])];
  const types = all.map((s) => s.condition);
  for (const s of all) {
    if (!/^[A-Z][A-Za-z0-9]*Failed$/.test(s.condition)) {
      throw new TypeError(`reconciler ${def.name}: step ${s.name} condition ${s.condition} must be <Thing>Failed`);
    }
  }
  return [...new Set(types)];
}

function createContext<O>(def: ReconcilerDefinition<O>, key: string, loaded: Loaded<O>, signal: AbortSignal, clock: () => Date): ReconcileContext<O> {
  const status: ReconcileStatus = { ...loaded.status, conditions: [...(loaded.status?.conditions ?? [])] };
  const ctx: ReconcileContext<O> = {
    reconciler: def.name,
    key,
    object: loaded.object,
    generation: loaded.generation,
    signal,
    status,
    async progress(message) {
      status.conditions = markReconciling(status.conditions, 'Progressing', message, { now: clock(), observedGeneration: loaded.generation });
      await def.onProgress?.(ctx, message);
    },
  };
  return ctx;
}

async function runSteps<O>(ctx: ReconcileContext<O>, steps: ReconcileStep<O>[], clock: () => Date): Promise<StepsEnd> {
  const opts = () => ({ now: clock(), observedGeneration: ctx.generation });
  for (const step of steps) {
    let result: StepResult;
    try {
      result = await step.run(ctx);
    } catch (error) {
      if (!ctx.signal.aborted) {
        const { reason, message } = describeError(error);
        ctx.status.conditions = markTrue(ctx.status.conditions, step.condition, reason, message, opts());
      }
      return { result: 'error', step: step.name, error };
    }
    ctx.status.conditions = removeCondition(ctx.status.conditions, step.condition);
    if (result !== 'success') return { result: 'requeue', step: step.name, next: result };
  }
  return { result: 'success' };
}

function conclude<O>(ctx: ReconcileContext<O>, end: StepsEnd, negativeTypes: string[], now: Date, readyMessage?: string): ReconcileOutcome {
  const opts = { now, observedGeneration: ctx.generation };
  const s = ctx.status;
  let error: ReconcileOutcome['error'];
  if (end.result === 'success') {
    s.conditions = removeCondition(removeCondition(s.conditions, RECONCILING), STALLED);
  } else if (end.result === 'requeue') {
    if (!isTrue(s.conditions, RECONCILING)) s.conditions = markReconciling(s.conditions, 'Progressing', `${end.step} is in progress`, opts);
  } else {
    error = describeError(end.error);
    s.conditions = error.disposition === 'stalled'
      ? markStalled(s.conditions, error.reason, error.message, opts)
      : markReconciling(s.conditions, 'ProgressingWithRetry', `${end.step}: ${error.message}`, opts);
  }
  s.conditions = summarize(s.conditions, negativeTypes, { ...opts, readyMessage });
  s.phase = derivePhase(s.conditions);
  const finished = end.result === 'success' || error?.disposition === 'stalled';
  if (finished && ctx.generation !== undefined) s.observedGeneration = ctx.generation;
  const ready = s.conditions.find((c) => c.type === 'Ready')!;
  return { result: end.result, step: end.result === 'success' ? undefined : end.step, error, ready, phase: s.phase };
}

/** Reason, sanitized message (with positioned details) and disposition of anything a step threw. */
export function describeError(err: unknown): { reason: string; message: string; disposition: ErrorDisposition } {
  if (isKradleError(err)) {
    const shown = err.details.slice(0, 20).map(formatDetail);
    if (err.details.length > shown.length) shown.push(`and ${err.details.length - shown.length} more`);
    const message = shown.length ? `${err.message}: ${shown.join('; ')}` : err.message;
    return { reason: err.reason, message: sanitize(message), disposition: err.disposition };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { reason: 'UnexpectedError', message: sanitize(message), disposition: 'retry' };
}
