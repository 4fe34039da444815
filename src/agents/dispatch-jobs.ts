import type { KubeObject } from '../cluster/types.ts';
import { BadRequestError, ConflictError, NotFoundError, UnauthorizedError, sanitize } from '../errors/index.ts';
import { ORG_LABEL, tenantNamespace } from '../kinds/index.ts';
import type { StoredResource } from '../store/types.ts';
import { transition } from './dispatch-machine.ts';
import { announceFailure, failRun } from './dispatch-create.ts';
import { RUN_KIND, RUN_LABEL, type Ctx } from './dispatch-deps.ts';
import { runtimeDoc } from './refs.ts';
import { verifyRunToken } from './run-tokens.ts';
import { mutateStatus } from './status.ts';
import { checkSteps, countSteps, publishSteps, type StepReport } from './dispatch-steps.ts';
import { closeAttempt, closeSession } from './dispatch-session.ts';
import { ENTRY_TYPES, checkEntries } from './memory/index.ts';

interface JobCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** The failure a Job reports, or undefined while it runs or after it succeeded (success waits for the callback). */
export function jobFailure(job: KubeObject): { deadlineExceeded: boolean; message: string } | undefined {
  const status = (job.status ?? {}) as { conditions?: JobCondition[]; failed?: number };
  const failed = status.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) {
    const deadline = failed.reason === 'DeadlineExceeded';
    return { deadlineExceeded: deadline, message: deadline ? `Job exceeded activeDeadlineSeconds: ${failed.message ?? ''}`.trim() : `Job failed: ${failed.reason ?? ''} ${failed.message ?? ''}`.trim() };
  }
  if ((status.failed ?? 0) > 0) return { deadlineExceeded: false, message: `Job pod failed (${status.failed} failed pod(s))` };
  return undefined;
}

/** Applies a Job's state to its run: a failed Job fails a Running run; anything else changes nothing. */
export async function observeJob(ctx: Ctx, job: KubeObject): Promise<StoredResource | undefined> {
  const run = job.metadata.labels?.[RUN_LABEL];
  const org = job.metadata.labels?.[ORG_LABEL];
  if (!run || !org) return undefined;
  const failure = jobFailure(job);
  if (!failure) return undefined;
  const current = await ctx.store.resources.get(RUN_KIND, tenantNamespace(org), run);
  if (current?.status.phase !== 'Running' || current.status.k8sJobName !== job.metadata.name) return current;
  try {
    return await failRun(ctx, org, run, { lastError: failure.message, retryable: true, deadlineExceeded: failure.deadlineExceeded, reason: failure.deadlineExceeded ? 'DeadlineExceeded' : 'JobFailed' });
  } catch (err) {
    if (err instanceof ConflictError) return ctx.store.resources.get(RUN_KIND, tenantNamespace(org), run);
    throw err;
  }
}

export interface CallbackBody {
  phase: 'Succeeded' | 'Failed';
  exitCode?: number;
  artifacts?: { kind: string; digest: string; path?: string }[];
  costUsd?: number;
  errorMessage?: string;
  /** Steps not reported yet through the steps route; published before the run completes. */
  steps?: StepReport[];
  /** Facts for the company brain: a Succeeded run's become an AgentRunMemoryImport `mi-<run>`. */
  memory?: { entries: unknown[]; include?: string[]; transcriptRef?: string; memoryRepository?: string; confidenceThreshold?: number };
}

const MAX_ARTIFACTS = 100;
/** The agent's own error text reaches the run, the event stream and webhooks: bounded, credentials scrubbed. */
const MAX_ERROR_CHARS = 4000;

function checkBody(body: unknown): CallbackBody {
  const b = (body ?? {}) as Record<string, unknown>;
  if (b.phase !== 'Succeeded' && b.phase !== 'Failed') throw new BadRequestError('phase must be Succeeded or Failed');
  if (b.costUsd !== undefined && (typeof b.costUsd !== 'number' || b.costUsd < 0)) throw new BadRequestError('costUsd must be a non-negative number');
  if (b.exitCode !== undefined && !Number.isInteger(b.exitCode)) throw new BadRequestError('exitCode must be an integer');
  const artifacts = b.artifacts ?? [];
  if (!Array.isArray(artifacts) || artifacts.length > MAX_ARTIFACTS || artifacts.some((a) => !a || typeof a.kind !== 'string' || typeof a.digest !== 'string' || (a.path !== undefined && typeof a.path !== 'string'))) {
    throw new BadRequestError(`artifacts must be at most ${MAX_ARTIFACTS} [{kind, digest, path?}] with string fields`);
  }
  if (b.errorMessage !== undefined && typeof b.errorMessage !== 'string') throw new BadRequestError('errorMessage must be a string');
  if (b.steps !== undefined) b.steps = checkSteps(b.steps);
  if (b.memory !== undefined) {
    const m = b.memory as CallbackBody['memory'];
    if (!m || typeof m !== 'object' || Array.isArray(m)) throw new BadRequestError('memory must be {entries, include?, transcriptRef?}');
    if (m.include !== undefined && (!Array.isArray(m.include) || m.include.some((x) => typeof x !== 'string'))) throw new BadRequestError('memory.include must be a list of entry types');
    checkEntries(m.entries, m.include?.length ? m.include : [...ENTRY_TYPES]);
  }
  return b as unknown as CallbackBody;
}

/** §6.4 callback: the run's own bearer token, then Running -> Completed | Failed with artifacts and cost. */
export async function handleCallback(ctx: Ctx, org: string, name: string, bearer: string | undefined, body: unknown): Promise<StoredResource> {
  const run = await ctx.store.resources.get(RUN_KIND, tenantNamespace(org), name);
  if (!run) throw new NotFoundError('run not found');
  if (!(await verifyRunToken(ctx.store, org, name, bearer))) throw new UnauthorizedError('the run token is missing or wrong');
  const cb = checkBody(body);
  if (run.status.phase !== 'Running') throw new ConflictError(`run ${name} is ${String(run.status.phase)}, not Running`);
  const actor = `run:${name}`;
  const steps = cb.steps ?? [];
  const artifacts = await recordArtifacts(ctx, org, name, cb.artifacts ?? []);
  const fields: Record<string, unknown> = { artifacts, costUsd: cb.costUsd ?? 0, exitCode: cb.exitCode ?? (cb.phase === 'Succeeded' ? 0 : 1) };
  if (cb.phase === 'Failed') Object.assign(fields, { lastError: sanitize(cb.errorMessage ?? 'agent reported failure').slice(0, MAX_ERROR_CHARS), retryable: true });
  // The phase move is the one atomic claim on a callback: a duplicate delivered at the same time (or one racing
  // the deadline) loses it with a 409 before it publishes or counts anything.
  const to = cb.phase === 'Failed' ? 'Failed' : 'Completed';
  const done = await mutateStatus(ctx.store, RUN_KIND, org, name, (r) => transition(countSteps(r.status, steps, ctx.clock.now()), to, fields, ctx.clock.now()), actor);
  await publishSteps(ctx, org, name, steps);
  if (to === 'Failed') return announceFailure(ctx, org, done, fields, actor);
  await closeSession(ctx, org, done, 'Completed');
  await closeAttempt(ctx, org, done, 'Completed');
  await ctx.publish(org, 'RUN_COMPLETED', RUN_KIND, name, { runId: name, costUsd: fields.costUsd, artifacts }, actor);
  return cb.memory ? importMemory(ctx, org, name, cb.memory) : done;
}

/** The run is already Completed: a failure to record the import is kept on the run, not thrown at the agent. */
async function importMemory(ctx: Ctx, org: string, name: string, m: NonNullable<CallbackBody['memory']>): Promise<StoredResource> {
  let field: Record<string, unknown>;
  try {
    if (!ctx.memoryImports) throw new Error('agent memory imports are not configured on this server');
    const imp = await ctx.memoryImports.collect(org, {
      name: `mi-${name}`.slice(0, 63).replace(/-+$/, ''), source: { kind: 'AgentDispatchRun', name }, entries: m.entries, include: m.include,
      transcriptRef: m.transcriptRef, memoryRepository: m.memoryRepository, confidenceThreshold: m.confidenceThreshold, actor: `run:${name}`,
    });
    field = { memoryImportRef: imp.metadata.name };
  } catch (err) {
    field = { memoryImportError: sanitize((err as Error).message) };
  }
  return mutateStatus(ctx.store, RUN_KIND, org, name, (r) => ({ ...r.status, ...field }), `run:${name}`);
}

async function recordArtifacts(ctx: Ctx, org: string, run: string, list: NonNullable<CallbackBody['artifacts']>): Promise<{ kind: string; digest: string; path?: string; ref: string }[]> {
  const out = [];
  for (const [i, a] of list.entries()) {
    const name = `${run}-art-${i + 1}`.slice(0, 63);
    const doc = runtimeDoc('KradleArtifact', org, name, { dispatchRun: run, kind: a.kind, digest: a.digest, ...(a.path ? { path: a.path } : {}) }, { labels: { [RUN_LABEL]: run } });
    await ctx.store.resources.create(doc).catch((err) => { if ((err as { status?: number }).status !== 409) throw err; });
    out.push({ kind: a.kind, digest: a.digest, ...(a.path ? { path: a.path } : {}), ref: name });
  }
  return out;
}
