import { BadRequestError, ConflictError, NotFoundError, UnauthorizedError } from '../errors/index.ts';
import { tenantNamespace } from '../kinds/index.ts';
import type { StoredResource } from '../store/types.ts';
import { RUN_KIND, type Ctx } from './dispatch-deps.ts';
import { verifyRunToken } from './run-tokens.ts';
import { mutateStatus } from './status.ts';

/** One step an agent reports (§6.9 STEP_STARTED / STEP_COMPLETED). */
export interface StepReport {
  event: 'started' | 'completed';
  stepKind: string;
  /** Pairs a completed step with its start; optional. */
  stepId?: string;
  toolName?: string;
  durationMs?: number;
}

export const MAX_STEPS_PER_REPORT = 500;

/** A step list from a request body (`{steps: [...]}` or one step object); BadRequestError naming the bad index. */
export function checkSteps(value: unknown): StepReport[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length > MAX_STEPS_PER_REPORT) throw new BadRequestError(`at most ${MAX_STEPS_PER_REPORT} steps per report`);
  list.forEach((s, i) => {
    const x = (s ?? {}) as Record<string, unknown>;
    if (x.event !== 'started' && x.event !== 'completed') throw new BadRequestError(`steps[${i}].event must be started or completed`);
    if (typeof x.stepKind !== 'string' || !x.stepKind) throw new BadRequestError(`steps[${i}].stepKind must be a non-empty string`);
    for (const f of ['stepId', 'toolName'] as const) if (x[f] !== undefined && typeof x[f] !== 'string') throw new BadRequestError(`steps[${i}].${f} must be a string`);
    if (x.durationMs !== undefined && (typeof x.durationMs !== 'number' || x.durationMs < 0)) throw new BadRequestError(`steps[${i}].durationMs must be a non-negative number`);
  });
  return list as StepReport[];
}

/** Publishes the steps in the order given (stream + webhook subscriptions). */
export async function publishSteps(ctx: Ctx, org: string, name: string, steps: readonly StepReport[]): Promise<void> {
  const actor = `run:${name}`;
  for (const s of steps) {
    const opt = { ...(s.stepId ? { stepId: s.stepId } : {}), ...(s.toolName ? { toolName: s.toolName } : {}) };
    if (s.event === 'started') await ctx.publish(org, 'STEP_STARTED', RUN_KIND, name, { runId: name, stepKind: s.stepKind, ...opt }, actor);
    else await ctx.publish(org, 'STEP_COMPLETED', RUN_KIND, name, { runId: name, stepKind: s.stepKind, durationMs: s.durationMs ?? 0, ...opt }, actor);
  }
}

/** The run's status with the steps added to its counts. */
export function countSteps(status: Record<string, unknown>, steps: readonly StepReport[], now: Date): Record<string, unknown> {
  if (!steps.length) return status;
  const before = (status.steps ?? {}) as { started?: number; completed?: number };
  const started = (before.started ?? 0) + steps.filter((s) => s.event === 'started').length;
  const completed = (before.completed ?? 0) + steps.filter((s) => s.event === 'completed').length;
  return { ...status, steps: { started, completed, lastStepAt: now.toISOString() } };
}

/** `POST .../runs/:name/steps` with the run's bearer token: only a Running run reports steps. */
export async function reportSteps(ctx: Ctx, org: string, name: string, bearer: string | undefined, body: unknown): Promise<StoredResource> {
  const run = await ctx.store.resources.get(RUN_KIND, tenantNamespace(org), name);
  if (!run) throw new NotFoundError('run not found');
  if (!(await verifyRunToken(ctx.store, org, name, bearer))) throw new UnauthorizedError('the run token is missing or wrong');
  const b = (body ?? {}) as Record<string, unknown>;
  const steps = checkSteps(b.steps ?? b);
  // Counted under the phase guard, so a report racing the callback is refused rather than added to a finished run.
  const counted = await mutateStatus(ctx.store, RUN_KIND, org, name, (r) => {
    if (r.status.phase !== 'Running') throw new ConflictError(`run ${name} is ${String(r.status.phase)}, not Running`);
    return countSteps(r.status, steps, ctx.clock.now());
  }, `run:${name}`);
  await publishSteps(ctx, org, name, steps);
  return counted;
}
