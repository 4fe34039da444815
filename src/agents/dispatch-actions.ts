import { BadRequestError, ConflictError, NotFoundError, UnauthorizedError } from '../errors/index.ts';
import { tenantNamespace } from '../kinds/index.ts';
import { AGENT_APPROVAL_ACTIONS } from '../kinds/spec-fields.ts';
import type { ActionGate, GateAnswer } from './action-gate.ts';
import { RUN_KIND, type Ctx } from './dispatch-deps.ts';
import { verifyRunToken } from './run-tokens.ts';

export interface ActionRequest {
  action: string;
  digest?: string;
  tool?: string;
}

function checkAction(body: unknown): ActionRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b.action !== 'string' || !(AGENT_APPROVAL_ACTIONS as readonly string[]).includes(b.action)) throw new BadRequestError(`action must be one of ${AGENT_APPROVAL_ACTIONS.join(', ')}`);
  for (const f of ['digest', 'tool'] as const) {
    if (b[f] !== undefined && (typeof b[f] !== 'string' || !b[f] || (b[f] as string).length > 256)) throw new BadRequestError(`${f} must be a non-empty string of at most 256 characters`);
  }
  return { action: b.action, digest: b.digest as string | undefined, tool: b.tool as string | undefined };
}

/**
 * `POST .../runs/:name/actions` with the run's token: the agent asks before a §9.1 action it performs itself
 * (a gated tool, a release, an escalation). Kradle answers allowed, or pending on an approval bound to `digest`.
 */
export async function askAction(ctx: Ctx, gate: ActionGate, org: string, name: string, bearer: string | undefined, body: unknown): Promise<GateAnswer> {
  const run = await ctx.store.resources.get(RUN_KIND, tenantNamespace(org), name);
  if (!run) throw new NotFoundError('run not found');
  if (!(await verifyRunToken(ctx.store, org, name, bearer))) throw new UnauthorizedError('the run token is missing or wrong');
  const req = checkAction(body);
  if (run.status.phase !== 'Running') throw new ConflictError(`run ${name} is ${String(run.status.phase)}, not Running`);
  return gate.check(org, { dispatchRun: name, ...req, requestedBy: `run:${name}` });
}
