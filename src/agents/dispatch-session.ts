import type { StoredResource } from '../store/types.ts';
import type { Ctx } from './dispatch-deps.ts';
import { runtimeDoc } from './refs.ts';
import { mutateStatus } from './status.ts';

export const SESSION_KIND = 'AgentSession';

/** The session of one attempt (§6.7 sessionRef): the id the agent's Agent Mux session is known by. */
export function sessionName(run: string, attempt: number): string {
  return `${run}-s${attempt}`.slice(0, 63);
}

/** Creates the attempt's AgentSession (Active); idempotent, so a retried start keeps the first one. */
export async function openSession(ctx: Ctx, org: string, run: string, attempt: number): Promise<string> {
  const name = sessionName(run, attempt);
  const doc = runtimeDoc(SESSION_KIND, org, name, { agentMuxSessionId: name, dispatchRun: run, attemptNumber: attempt }, {
    labels: { 'kradle.a5c.ai/dispatch-run': run },
    status: { phase: 'Active', startedAt: ctx.clock.now().toISOString() },
  });
  await ctx.store.resources.create(doc).catch((err) => { if ((err as { status?: number }).status !== 409) throw err; });
  return name;
}

/** Ends the run's session with the run's outcome; a run without one (never started) has nothing to end. */
export async function closeSession(ctx: Ctx, org: string, run: StoredResource, phase: 'Completed' | 'Failed'): Promise<void> {
  const ref = run.status.sessionRef;
  if (typeof ref !== 'string') return;
  await mutateStatus(ctx.store, SESSION_KIND, org, ref, (s) => (s.status.phase === 'Active' ? { ...s.status, phase, endedAt: ctx.clock.now().toISOString() } : undefined)).catch(() => undefined);
}

export const ATTEMPT_KIND = 'AgentDispatchAttempt';

/** Ends the run's AgentDispatchAttempt with the run's outcome, so none stays Running after its run ended. */
export async function closeAttempt(ctx: Ctx, org: string, run: StoredResource, phase: 'Completed' | 'Failed'): Promise<void> {
  const ref = run.status.attemptRef;
  if (typeof ref !== 'string') return;
  const outcome = { endedAt: ctx.clock.now().toISOString(), ...(phase === 'Failed' ? { lastError: run.status.lastError, retryable: run.status.retryable } : { exitCode: run.status.exitCode ?? 0 }) };
  await mutateStatus(ctx.store, ATTEMPT_KIND, org, ref, (a) => (a.status.phase === 'Running' ? { ...a.status, phase, ...outcome } : undefined)).catch(() => undefined);
}
