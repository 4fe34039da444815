import { BadRequestError, NotFoundError } from '../errors/index.ts';
import { tenantNamespace } from '../kinds/index.ts';
import type { StoredResource } from '../store/types.ts';
import { requestApproval } from './approvals.ts';
import { checkBudget, type ModelRate } from './budget.ts';
import { transition } from './dispatch-machine.ts';
import { RUN_KIND, stateOf, type Ctx } from './dispatch-deps.ts';
import { resolveTransport, reviewDispatch } from './permission-review.ts';
import { desiredSpec, randomName, refName, runtimeDoc } from './refs.ts';
import { mutateStatus } from './status.ts';
import { closeAttempt, closeSession } from './dispatch-session.ts';
import { dispatchDefaults } from './dispatch-defaults.ts';
import { gateOf } from './action-gate.ts';
import { credentialsDigest, grantedCredentials } from './run-context.ts';
import type { DesiredState } from '../loader/types.ts';

export interface DispatchRequest {
  stack: unknown;
  repository: unknown;
  sourceRefs: unknown[];
  taskKind: string;
  requestedBy: string;
  /** The AgentTriggerExecution that caused the run. */
  trigger?: string;
  attemptNumber?: number;
  /** The Failed run this one retries (§6.8). */
  retryOf?: string;
  /** The commit the run works on, when the caller knows it (else the ref is resolved by the agent). */
  commit?: string;
  estimatedTokens?: { input: number; output: number };
}

function checkRequest(req: DispatchRequest, unresolved: string[] = []): void {
  const missing = (['stack', 'repository', 'taskKind', 'requestedBy'] as const).filter((f) => !refName(req[f]));
  if (!Array.isArray(req.sourceRefs) || !req.sourceRefs.length) missing.push('sourceRefs' as never);
  if (missing.length) throw new BadRequestError(`dispatch needs ${missing.join(', ')}${unresolved.length ? `: ${unresolved.join('; ')}` : ''}`);
  if (req.attemptNumber !== undefined && (!Number.isInteger(req.attemptNumber) || req.attemptNumber < 1)) throw new BadRequestError('attemptNumber must be a positive integer');
  if (req.commit !== undefined && (typeof req.commit !== 'string' || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(req.commit))) throw new BadRequestError('commit must be a full commit id (40 or 64 hex digits)');
}

/** Cost recorded by the org's runs so far (§6.6 "remaining budget"). */
async function spentUsd(ctx: Ctx, org: string): Promise<number> {
  let total = 0;
  let cont: string | undefined;
  do {
    const page = await ctx.store.resources.list(RUN_KIND, { namespace: tenantNamespace(org), limit: 500, continue: cont });
    for (const r of page.items) total += typeof r.status.costUsd === 'number' ? r.status.costUsd : 0;
    cont = page.continue;
  } while (cont);
  return total;
}

async function budgetFor(ctx: Ctx, org: string, stack: Record<string, unknown>, req: DispatchRequest) {
  const state = stateOf(ctx);
  const orgSpec = state.get('Organization', org, org)?.object.spec ?? {};
  const provider = desiredSpec(state, 'AgentProviderConfig', org, refName(stack.providerConfig));
  const tokens = req.estimatedTokens ?? ctx.estimatedTokens ?? { input: 200_000, output: 20_000 };
  return checkBudget({
    model: String(stack.model ?? provider?.defaultModel ?? 'claude-sonnet'),
    modelRates: provider?.modelRates as Record<string, ModelRate> | undefined,
    estimatedInputTokens: tokens.input,
    estimatedOutputTokens: tokens.output,
    budgetLimitUsd: typeof orgSpec.budgetLimitUsd === 'number' ? orgSpec.budgetLimitUsd : undefined,
    spentUsd: await spentUsd(ctx, org),
  });
}

/** Creates the run (Pending) and moves it through review, budget and approval: Failed, AwaitingApproval or Queued. */
export async function createRun(ctx: Ctx, org: string, given: DispatchRequest, name = randomName('run', ctx.random)): Promise<StoredResource> {
  const state = stateOf(ctx);
  if (!state.get('Organization', org, org)) throw new NotFoundError(`organization ${org} not found`);
  // A request naming only its stack gets the repository and ref there is one answer for (§5.1 `{stackRef}`).
  const { unresolved, ...defaults } = dispatchDefaults(state, org, given);
  const req = { ...given, ...defaults };
  checkRequest(req, unresolved);
  const stackName = refName(req.stack)!;
  const stack = state.get('AgentStack', org, stackName);
  const now = ctx.clock.now().toISOString();
  const spec = {
    repository: req.repository, sourceRefs: req.sourceRefs, agentStack: req.stack, taskKind: req.taskKind,
    attemptNumber: req.attemptNumber ?? 1, requestedBy: req.requestedBy, ...(req.trigger ? { triggerRef: req.trigger } : {}),
    ...(req.retryOf ? { retryOf: req.retryOf } : {}), ...(req.commit ? { commit: req.commit } : {}),
  };
  const status = { phase: 'Pending', createdAt: now, stackRef: stackName, organizationRef: org, requestedBy: req.requestedBy, ...(req.trigger ? { triggerRef: req.trigger } : {}) };
  const run = await ctx.store.resources.create(runtimeDoc(RUN_KIND, org, name, spec, { labels: { 'kradle.a5c.ai/agent-stack': stackName.slice(0, 63) }, status }), { actor: req.requestedBy });
  await ctx.publish(org, 'RUN_CREATED', RUN_KIND, name, { runId: name, org, stackRef: stackName, requestedBy: req.requestedBy });
  const review = reviewDispatch(org, stack, state, { stack: req.stack, repository: req.repository, sourceRefs: req.sourceRefs, taskKind: req.taskKind });
  if (!review.allowed) return failRun(ctx, org, name, { lastError: review.reason, reason: review.code, retryable: false });
  const budget = await budgetFor(ctx, org, stack!.object.spec, req);
  if (!budget.allowed) {
    return failRun(ctx, org, name, { lastError: `budget-exceeded: estimated ${budget.estimatedCostUsd.toFixed(2)} USD, remaining ${budget.remainingUsd.toFixed(2)} USD`, reason: 'budget-exceeded', retryable: false, budgetCheckResult: budget });
  }
  const needed = [
    ...(review.approval.required ? [{ action: review.approval.action, reason: review.approval.reason }] : []),
    ...secretAccessGate(state, org, stackName, req.repository),
  ];
  if (needed.length) {
    const refs: string[] = [];
    for (const n of needed) refs.push((await requestApproval(ctx, org, { dispatchRun: name, requestedBy: req.requestedBy, ...n })).metadata.name);
    return mutateStatus(ctx.store, RUN_KIND, org, name, (r) => transition(r.status, 'AwaitingApproval', { approvalRef: refs[0], approvalRefs: refs, budgetCheckResult: budget }, ctx.clock.now()));
  }
  return queueRun(ctx, org, name, run, budget);
}

/** The secret-access approval a run needs before its Job gets credentials: bound to the digest of the secretKeyRefs. */
export function secretAccessGate(state: DesiredState, org: string, stack: string, repository: unknown): { action: string; reason: string; artifactDigest: string }[] {
  const why = gateOf(state, org, stack, 'secret-access');
  if (!why) return [];
  const creds = grantedCredentials(state, org, desiredSpec(state, 'AgentStack', org, stack) ?? {}, desiredSpec(state, 'Repository', org, refName(repository)));
  if (!creds.length) return [];
  return [{ action: 'secret-access', reason: `${why}: ${creds.map((c) => `${c.secret}/${c.key}`).join(', ')}`, artifactDigest: credentialsDigest(creds) }];
}

export async function queueRun(ctx: Ctx, org: string, name: string, _run: StoredResource | undefined, budget?: unknown): Promise<StoredResource> {
  const state = stateOf(ctx);
  const queued = await mutateStatus(ctx.store, RUN_KIND, org, name, (r) => {
    const stack = state.get('AgentStack', org, String(r.status.stackRef));
    const resolvedTransport = resolveTransport(stack?.object.spec ?? {}, state, org);
    return transition(r.status, 'Queued', { budgetCheckResult: budget ?? r.status.budgetCheckResult, resolvedTransport }, ctx.clock.now());
  });
  await ctx.publish(org, 'RUN_QUEUED', RUN_KIND, name, { runId: name, queuedAt: queued.status.queuedAt, budgetCheck: queued.status.budgetCheckResult });
  return queued;
}

export async function failRun(ctx: Ctx, org: string, name: string, fields: Record<string, unknown>, actor?: string): Promise<StoredResource> {
  const failed = await mutateStatus(ctx.store, RUN_KIND, org, name, (r) => transition(r.status, 'Failed', fields, ctx.clock.now()), actor);
  return announceFailure(ctx, org, failed, fields, actor);
}

/** What follows a run's move to Failed: its session ends, RUN_FAILED is published, its trigger slot is freed. */
export async function announceFailure(ctx: Ctx, org: string, failed: StoredResource, fields: Record<string, unknown>, actor?: string): Promise<StoredResource> {
  const name = failed.metadata.name;
  await closeSession(ctx, org, failed, 'Failed');
  await closeAttempt(ctx, org, failed, 'Failed');
  await ctx.publish(org, 'RUN_FAILED', RUN_KIND, name, { runId: name, errorMessage: fields.lastError, ...(fields.deadlineExceeded ? { deadlineExceeded: true } : {}) }, actor);
  // §8.3: a failed run's trigger execution no longer blocks the same event.
  const trigger = failed.spec.triggerRef;
  if (typeof trigger === 'string') {
    await mutateStatus(ctx.store, 'AgentTriggerExecution', org, trigger, (e) => (e.status.phase === 'Failed' ? undefined : { ...e.status, phase: 'Failed', runRef: name })).catch(() => undefined);
  }
  return failed;
}
