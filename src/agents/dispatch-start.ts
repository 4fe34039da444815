import { workspaceClaimName } from '../cluster/index.ts';
import { sanitize } from '../errors/index.ts';
import { claimNameOf, claimWorkspace, poolConfig } from './workspaces/index.ts';
import { tenantNamespace } from '../kinds/index.ts';
import { tenantNamespaceOf } from '../loader/tenant-namespace.ts';
import type { StoredResource } from '../store/types.ts';
import { transition } from './dispatch-machine.ts';
import { failRun, secretAccessGate } from './dispatch-create.ts';
import { actionApproval } from './approvals.ts';
import { RUN_KIND, stateOf, type Ctx } from './dispatch-deps.ts';
import { agentJobName, buildAgentJob, buildRunContextConfigMap, buildRunTokenSecret, type AgentJobInput } from './job-spec.ts';
import { buildRunContext, grantedCredentials, type RunContextInput } from './run-context.ts';
import { ATTEMPT_KIND, openSession, sessionName } from './dispatch-session.ts';
import { resolveTransport, reviewDispatch } from './permission-review.ts';
import { desiredSpec, refName, runtimeDoc } from './refs.ts';
import { issueRunToken } from './run-tokens.ts';
import { mutateStatus } from './status.ts';

/** How long a start claims a Queued run; a starter that died mid-way holds it no longer than this. */
const START_LEASE_MS = 120_000;

/** The status without the start claim: the run is free for the next start (or left Queued for good). */
function released(status: Record<string, unknown>): Record<string, unknown> {
  const { startingSince: _claim, ...rest } = status;
  return rest;
}

/** Keeps the run Queued with a False JobSubmitted condition: the controller retries it (no Failed for outages). */
async function keepQueued(ctx: Ctx, org: string, name: string, reason: string, message: string): Promise<StoredResource> {
  return mutateStatus(ctx.store, RUN_KIND, org, name, (r) => {
    if (r.status.phase !== 'Queued') return undefined;
    const retries = (typeof r.status.retryCount === 'number' ? r.status.retryCount : 0) + 1;
    const condition = { type: 'JobSubmitted', status: 'False', reason, message: sanitize(message), lastTransitionTime: ctx.clock.now().toISOString() };
    const others = Array.isArray(r.status.conditions) ? (r.status.conditions as { type: string }[]).filter((c) => c.type !== 'JobSubmitted') : [];
    return { ...released(r.status), retryCount: retries, conditions: [...others, condition] };
  });
}

/** The stack's memory repository pinned for this attempt; a pin that fails is reported in the context, not fatal. */
async function memoryPin(ctx: Ctx, org: string, stack: Record<string, unknown>): Promise<RunContextInput['memory']> {
  const repository = refName(stack.memoryRepository);
  if (!repository) return undefined;
  if (!ctx.memory) return { repository, error: 'agent memory is not configured on this server' };
  try {
    const snap = await ctx.memory.pin(org, { memoryRepository: repository });
    return { repository, snapshot: snap.metadata.name, commit: String(snap.spec.resolvedCommit), ref: String(snap.spec.requestedRef) };
  } catch (err) {
    return { repository, error: sanitize((err as Error).message) };
  }
}

/**
 * The run's workspace: the stack's KradleWorkspace, or one claimed from its KradleWorkspacePolicy's pool (§7:
 * a Ready one, or one provisioned for the run); none: the Job's emptyDir.
 */
async function workspaceOf(ctx: Ctx, org: string, run: StoredResource, stack: Record<string, unknown>): Promise<{ name: string; claim: string } | undefined> {
  const fixed = refName(stack.workspace);
  if (fixed) return { name: fixed, claim: workspaceClaimName(fixed) };
  const pool = poolConfig(stateOf(ctx), org, refName(stack.workspacePolicy));
  if (!pool) return undefined;
  const ws = await claimWorkspace({ store: ctx.store, clock: ctx.clock, random: ctx.random }, org, pool, run.metadata.name);
  return { name: ws.metadata.name, claim: claimNameOf(ws) };
}

async function jobInput(ctx: Ctx, org: string, run: StoredResource): Promise<AgentJobInput> {
  const state = stateOf(ctx);
  const stack = state.get('AgentStack', org, String(run.status.stackRef))!.object.spec;
  const sa = desiredSpec(state, 'AgentServiceAccount', org, refName(stack.runtimeIdentity));
  const workspace = await workspaceOf(ctx, org, run, stack);
  const budget = run.status.budgetCheckResult as { activeDeadlineSeconds?: number } | undefined;
  const transport = (run.status.resolvedTransport as { protocol: string; codec: string; endpoint?: string } | undefined) ?? resolveTransport(stack, state, org);
  const attemptNumber = Number(run.spec.attemptNumber ?? 1);
  const callbackUrl = `${ctx.callbackBaseUrl.replace(/\/+$/, '')}/api/orgs/${org}/agents/runs/${run.metadata.name}/callback`;
  const context = buildRunContext(state, {
    org, run: run.metadata.name, attempt: attemptNumber, taskKind: String(run.spec.taskKind), requestedBy: String(run.spec.requestedBy ?? ''),
    stackName: String(run.status.stackRef), repository: run.spec.repository, sourceRefs: run.spec.sourceRefs as unknown[],
    commit: typeof run.spec.commit === 'string' ? run.spec.commit : undefined, callbackUrl, stepsUrl: callbackUrl.replace(/\/callback$/, '/steps'),
    session: sessionName(run.metadata.name, attemptNumber), transport, memory: await memoryPin(ctx, org, stack),
  });
  return {
    runName: run.metadata.name,
    namespace: tenantNamespaceOf(state, org),
    org,
    attemptNumber,
    serviceAccountName: String(sa?.serviceAccountName ?? refName(stack.runtimeIdentity)),
    callbackUrl,
    image: typeof stack.image === 'string' ? stack.image : ctx.image,
    credentials: grantedCredentials(state, org, stack, desiredSpec(state, 'Repository', org, refName(run.spec.repository))),
    context,
    workspaceClaimName: workspace?.claim,
    workspaceName: workspace?.name,
    activeDeadlineSeconds: budget?.activeDeadlineSeconds ?? 3600,
    transport: { protocol: transport.protocol, codec: transport.codec },
    taskKind: String(run.spec.taskKind),
    stack: String(run.status.stackRef),
  };
}

async function transportUp(ctx: Ctx, org: string, run: StoredResource): Promise<string | undefined> {
  if (!ctx.transportHealthy) return undefined;
  const t = run.status.resolvedTransport as { protocol: string; codec: string };
  try {
    return (await ctx.transportHealthy(org, t)) ? undefined : `transport ${t.protocol} is unavailable`;
  } catch (err) {
    return `transport probe failed: ${(err as Error).message}`;
  }
}

/**
 * Queued -> Running: re-reviews the stack (it may have changed while the run waited), then applies the Job,
 * then the token Secret owned by it, then records the attempt. An outage keeps the run Queued for a retry.
 */
export async function startRun(ctx: Ctx, org: string, name: string): Promise<StoredResource> {
  const current = await ctx.store.resources.get(RUN_KIND, tenantNamespace(org), name);
  if (!current || current.status.phase !== 'Queued') return current!;
  // The claim is a lease kept on the run, not only a compare-and-swap: a starter that reads the run after
  // another claimed it (the resync, an approval) must back off too, or it would issue a second token.
  let mine = false;
  const run = await mutateStatus(ctx.store, RUN_KIND, org, name, (r) => {
    mine = false;
    if (r.status.phase !== 'Queued') return undefined;
    const now = ctx.clock.now();
    const since = typeof r.status.startingSince === 'string' ? Date.parse(r.status.startingSince) : NaN;
    if (now.getTime() - since < START_LEASE_MS) return undefined;
    mine = true;
    return { ...r.status, startingSince: now.toISOString(), lastStartAttemptAt: now.toISOString() };
  });
  if (!mine) return run;
  const state = stateOf(ctx);
  const review = reviewDispatch(org, state.get('AgentStack', org, String(run.status.stackRef)), state, {
    stack: run.spec.agentStack, repository: run.spec.repository, sourceRefs: run.spec.sourceRefs as unknown[], taskKind: String(run.spec.taskKind),
  });
  if (!review.allowed) return failRun(ctx, org, name, { lastError: review.reason, reason: review.code, retryable: false });
  const outage = await transportUp(ctx, org, run);
  if (outage) return keepQueued(ctx, org, name, 'TransportUnavailable', outage);
  const input = await jobInput(ctx, org, run);
  // §9: the Job gets credentials only while a secret-access approval covers exactly these secretKeyRefs.
  const secretGate = secretAccessGate(state, org, String(run.status.stackRef), run.spec.repository)[0];
  if (secretGate) {
    const verdict = await actionApproval(ctx.store, org, { dispatchRun: name, action: 'secret-access', digest: secretGate.artifactDigest });
    if (!verdict.approved) return failRun(ctx, org, name, { lastError: `secret-access is not approved for these credentials: ${verdict.reason}`, reason: 'SECRET_ACCESS_NOT_APPROVED', retryable: true });
  }
  try {
    const applied = await ctx.driver.apply(buildAgentJob(input));
    const owner = { uid: String(applied.live?.metadata.uid ?? '') };
    await ctx.driver.apply(buildRunContextConfigMap(input, owner));
    const token = await issueRunToken(ctx.store, org, name, ctx.random);
    await ctx.driver.apply(buildRunTokenSecret(input, token, owner));
  } catch (err) {
    return keepQueued(ctx, org, name, 'JobApplyFailed', `applying the Job failed: ${(err as Error).message}`);
  }
  return markRunning(ctx, org, run, input);
}

async function markRunning(ctx: Ctx, org: string, run: StoredResource, input: AgentJobInput): Promise<StoredResource> {
  const jobName = agentJobName(run.metadata.name);
  const attempt = `${run.metadata.name}-a${input.attemptNumber}`;
  const stack = stateOf(ctx).get('AgentStack', org, input.stack);
  await ctx.store.resources.create(
    runtimeDoc(ATTEMPT_KIND, org, attempt, {
      agentDispatchRun: run.metadata.name,
      attemptReason: input.attemptNumber > 1 ? 'retry' : 'initial',
      agentStackSnapshot: { name: input.stack, hash: stack?.hash, spec: stack?.object.spec },
    }, { labels: { 'kradle.a5c.ai/dispatch-run': run.metadata.name }, status: { phase: 'Running', k8sJobName: jobName, startedAt: ctx.clock.now().toISOString() } }),
  ).catch((err) => { if ((err as { status?: number }).status !== 409) throw err; });
  const sessionRef = await openSession(ctx, org, run.metadata.name, input.attemptNumber);
  // No workspace PVC: the Job's emptyDir is the workspace, named after the Job that owns it.
  const workspaceRef = input.workspaceName ?? `emptyDir/${jobName}`;
  const running = await mutateStatus(ctx.store, RUN_KIND, org, run.metadata.name, (r) => {
    const conditions = Array.isArray(r.status.conditions) ? (r.status.conditions as { type: string }[]).filter((c) => c.type !== 'JobSubmitted') : [];
    return transition(released(r.status), 'Running', { k8sJobName: jobName, attemptRef: attempt, attemptNumber: input.attemptNumber, workspaceRef, sessionRef, conditions }, ctx.clock.now());
  });
  await ctx.publish(org, 'RUN_STARTED', RUN_KIND, run.metadata.name, { runId: run.metadata.name, k8sJobName: jobName, workspaceRef, sessionRef });
  return running;
}
