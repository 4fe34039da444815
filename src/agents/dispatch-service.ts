import { ConflictError, NotFoundError } from '../errors/index.ts';
import { tenantNamespace } from '../kinds/index.ts';
import type { KubeObject } from '../cluster/types.ts';
import type { ListPage, StoredResource } from '../store/types.ts';
import { actionApproval, requestApproval, type GatedRuns } from './approvals.ts';
import { createActionGate, type GateAnswer } from './action-gate.ts';
import { askAction } from './dispatch-actions.ts';
import { createRun, failRun, queueRun, type DispatchRequest } from './dispatch-create.ts';
import { RUN_KIND, type Ctx, type DispatchDeps } from './dispatch-deps.ts';
import { handleCallback, observeJob } from './dispatch-jobs.ts';
import { startRun } from './dispatch-start.ts';
import { reportSteps } from './dispatch-steps.ts';
import { cryptoRandom, randomName, systemClock } from './refs.ts';
import { lifecyclePublisher, mutateStatus } from './status.ts';

export interface DispatchService extends GatedRuns {
  /** Creates a run and drives it as far as it can go now: Failed, AwaitingApproval, Queued or Running. */
  create(org: string, req: DispatchRequest): Promise<StoredResource>;
  /** Queued -> Running (Job + token Secret + attempt); an outage leaves it Queued with a retry condition. */
  start(org: string, name: string): Promise<StoredResource>;
  /** Retries every Queued run of an org (or of every org the store holds runs for): the controller's resync. */
  retryQueued(org: string): Promise<StoredResource[]>;
  /** A new run for a failed one, with attemptNumber + 1 (§6.8). */
  retry(org: string, name: string, requestedBy: string): Promise<StoredResource>;
  callback(org: string, name: string, bearerToken: string | undefined, body: unknown): Promise<StoredResource>;
  /** STEP_STARTED / STEP_COMPLETED reported by the agent with the run's token; counted on the run. */
  reportSteps(org: string, name: string, bearerToken: string | undefined, body: unknown): Promise<StoredResource>;
  /** A §9.1 action the agent is about to take: allowed, or pending on an approval (run token). */
  askAction(org: string, name: string, bearerToken: string | undefined, body: unknown): Promise<GateAnswer>;
  /** Applies one observed Job to its run (the watch calls it). */
  observeJob(job: KubeObject): Promise<StoredResource | undefined>;
  get(org: string, name: string): Promise<StoredResource>;
  list(org: string, opts?: { limit?: number; continue?: string; labelSelector?: string }): Promise<ListPage<StoredResource>>;
}

export function createDispatchService(deps: DispatchDeps): DispatchService {
  const ctx: Ctx = { ...deps, clock: deps.clock ?? systemClock, random: deps.random ?? cryptoRandom, publish: lifecyclePublisher(deps.store) };
  const get = async (org: string, name: string) => {
    const run = await deps.store.resources.get(RUN_KIND, tenantNamespace(org), name);
    if (!run) throw new NotFoundError(`AgentDispatchRun ${name} not found in org ${org}`);
    return run;
  };
  const start = (org: string, name: string) => startRun(ctx, org, name);
  const gate = createActionGate({ store: deps.store, desired: deps.desired, approvals: { isActionApproved: (org, q) => actionApproval(deps.store, org, q), request: (org, req) => requestApproval(ctx, org, req) } });
  return {
    async create(org, req) {
      const run = await createRun(ctx, org, req);
      return run.status.phase === 'Queued' ? start(org, run.metadata.name) : run;
    },
    start,
    async retryQueued(org) {
      const { items } = await deps.store.resources.list(RUN_KIND, { namespace: tenantNamespace(org) });
      const out = [];
      for (const r of items.filter((x) => x.status.phase === 'Queued')) out.push(await start(org, r.metadata.name));
      return out;
    },
    async retry(org, name, requestedBy) {
      const next = randomName('run', ctx.random);
      // §6.8: only a Failed run is retried, and once: the claim on the old run decides between concurrent retries.
      const old = await mutateStatus(deps.store, RUN_KIND, org, name, (r) => {
        if (r.status.phase !== 'Failed') throw new ConflictError(`run ${name} is ${String(r.status.phase ?? 'Pending')}: only a Failed run can be retried`);
        if (r.status.retryable === false) {
          const why = [r.status.reason, r.status.lastError].filter((x) => typeof x === 'string' && x).join(': ');
          throw new ConflictError(`run ${name} is not retryable${why ? ` (${why})` : ''}: fix the cause and dispatch a new run`, {
            details: [{ code: 'NOT_RETRYABLE', message: why || 'marked not retryable', field: 'status.retryable' }],
          });
        }
        if (typeof r.status.retriedBy === 'string') throw new ConflictError(`run ${name} was already retried as ${r.status.retriedBy}`);
        return { ...r.status, retriedBy: next };
      }, requestedBy);
      try {
        const run = await createRun(ctx, org, {
          stack: old.spec.agentStack, repository: old.spec.repository, sourceRefs: old.spec.sourceRefs as unknown[], taskKind: String(old.spec.taskKind),
          requestedBy, attemptNumber: Number(old.spec.attemptNumber ?? 1) + 1, retryOf: name, ...(typeof old.spec.commit === 'string' ? { commit: old.spec.commit } : {}), ...(old.spec.triggerRef ? { trigger: String(old.spec.triggerRef) } : {}),
        }, next);
        return run.status.phase === 'Queued' ? start(org, next) : run;
      } catch (err) {
        // No new run exists: the claim is released so the retry can be asked for again.
        if (!(await deps.store.resources.get(RUN_KIND, tenantNamespace(org), next))) {
          await mutateStatus(deps.store, RUN_KIND, org, name, (r) => (r.status.retriedBy === next ? (({ retriedBy: _r, ...rest }) => rest)(r.status) : undefined)).catch(() => undefined);
        }
        throw err;
      }
    },
    async resume(org, name, actor) {
      // Approvals of other actions (write-back, release) gate no waiting run: nothing to resume.
      const run = await deps.store.resources.get(RUN_KIND, tenantNamespace(org), name);
      if (run?.status.phase !== 'AwaitingApproval') return run;
      // A run gated on several actions (dispatch and secret-access) waits for every one of them.
      const refs = Array.isArray(run.status.approvalRefs) ? run.status.approvalRefs.map(String) : [String(run.status.approvalRef)];
      for (const ref of refs) if ((await deps.store.resources.get('AgentApproval', tenantNamespace(org), ref))?.status.phase !== 'Approved') return run;
      await queueRun(ctx, org, name, run);
      void actor;
      return start(org, name);
    },
    async deny(org, name, reason, actor) {
      const run = await deps.store.resources.get(RUN_KIND, tenantNamespace(org), name);
      if (run?.status.phase !== 'AwaitingApproval') return run;
      return failRun(ctx, org, name, { lastError: reason, reason: 'approval-denied', retryable: false }, actor);
    },
    callback: (org, name, token, body) => handleCallback(ctx, org, name, token, body),
    reportSteps: (org, name, token, body) => reportSteps(ctx, org, name, token, body),
    askAction: (org, name, token, body) => askAction(ctx, gate, org, name, token, body),
    observeJob: (job) => observeJob(ctx, job),
    get,
    list: (org, opts = {}) => deps.store.resources.list(RUN_KIND, { namespace: tenantNamespace(org), ...opts }),
  };
}
