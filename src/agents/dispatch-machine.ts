import { ConflictError } from '../errors/index.ts';
import type { DISPATCH_PHASES } from '../kinds/spec-fields.ts';

export type DispatchPhase = (typeof DISPATCH_PHASES)[number];

/** Spec §6.1/§6.3: the only moves a dispatch run may make. Completed and Failed are terminal. */
const NEXT: Record<DispatchPhase, readonly DispatchPhase[]> = {
  Pending: ['AwaitingApproval', 'Queued', 'Failed'],
  AwaitingApproval: ['Queued', 'Failed'],
  Queued: ['Running', 'Failed'],
  Running: ['Completed', 'Failed'],
  Completed: [],
  Failed: [],
};

/** The status timestamp each phase records on entry (§6.7). */
const ENTERED_AT: Partial<Record<DispatchPhase, string>> = {
  AwaitingApproval: 'awaitingSince',
  Queued: 'queuedAt',
  Running: 'startedAt',
  Completed: 'completedAt',
  Failed: 'failedAt',
};

export function canTransition(from: DispatchPhase, to: DispatchPhase): boolean {
  return NEXT[from].includes(to);
}

export function isTerminal(phase: DispatchPhase): boolean {
  return NEXT[phase].length === 0;
}

/**
 * The status after moving a run to `to`, with the phase's §6.7 fields merged in.
 * Refuses a move the state machine does not allow (ConflictError: the caller read a stale run).
 */
export function transition(
  status: Record<string, unknown>,
  to: DispatchPhase,
  fields: Record<string, unknown>,
  now: Date,
): Record<string, unknown> {
  const from = (status.phase as DispatchPhase | undefined) ?? 'Pending';
  if (!canTransition(from, to)) {
    throw new ConflictError(`dispatch run cannot move from ${from} to ${to}`, {
      details: [{ code: 'INVALID_TRANSITION', message: `${from} -> ${to} is not allowed`, field: 'status.phase' }],
    });
  }
  const next: Record<string, unknown> = { ...status, ...fields, phase: to };
  const stamp = ENTERED_AT[to];
  if (stamp) next[stamp] = now.toISOString();
  if ((to === 'Completed' || to === 'Failed') && typeof status.startedAt === 'string') {
    next.duration = Math.max(0, Math.round((now.getTime() - Date.parse(status.startedAt)) / 1000));
  }
  return next;
}
