import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../errors/index.ts';
import { tenantNamespace } from '../kinds/index.ts';
import { AGENT_APPROVAL_ACTIONS } from '../kinds/spec-fields.ts';
import type { DesiredState } from '../loader/types.ts';
import type { Store, StoredResource } from '../store/types.ts';
import { cryptoRandom, randomName, refName, runtimeDoc, systemClock, type Clock, type RandomSource } from './refs.ts';
import { lifecyclePublisher, mutateStatus } from './status.ts';

/** Who is calling, as the API's auth resolves it from the bearer token. */
export interface AgentPrincipal {
  subject: string;
  /** The token's org, `*` for a platform token. */
  org: string;
  role: 'admin' | 'writer' | 'reader';
}

export interface ApprovalRequest {
  dispatchRun: string;
  action: string;
  requestedBy: string;
  reason?: string;
  /** Digest of the artifact the approval covers (write-back, release); a changed digest invalidates it. */
  artifactDigest?: string;
}

export interface Decision {
  decision: string;
  decidedBy?: string;
  reason?: string;
}

/** What decide() calls on the run an approval gates. */
export interface GatedRuns {
  resume(org: string, run: string, actor: string): Promise<unknown>;
  deny(org: string, run: string, reason: string, actor: string): Promise<unknown>;
}

export interface ApprovalDeps {
  store: Store;
  desired: () => DesiredState | undefined;
  runs?: GatedRuns;
  clock?: Clock;
  random?: RandomSource;
  /** Told of each new approval (notifications, audit). */
  onRequested?: (org: string, approval: StoredResource) => Promise<void>;
  /** Told of each decision after the gated run was resumed or denied (gated write-backs proceed here). */
  onDecided?: (org: string, approval: StoredResource) => Promise<void>;
}

/**
 * The approver rule: an admin token of the org (or a platform admin), or a token whose subject is listed as a
 * maintainer or approver (spec.maintainers / spec.approvers) of a Team of that org. Everyone else: 403.
 */
export function isApprover(principal: AgentPrincipal | undefined, org: string, state: DesiredState | undefined): boolean {
  if (!principal || (principal.org !== org && principal.org !== '*')) return false;
  if (principal.role === 'admin') return true;
  if (principal.role === 'reader') return false;
  const teams = state?.byOrg(org).filter((r) => r.id.kind === 'Team') ?? [];
  return teams.some((t) => ['maintainers', 'approvers'].some((f) => Array.isArray(t.object.spec[f]) && (t.object.spec[f] as unknown[]).map(refName).includes(principal.subject)));
}

const MAX_REASON_CHARS = 2000;

function normalizeDecision(d: unknown): 'Approved' | 'Denied' {
  // No coercion: `["approve"]` would otherwise stringify to a valid decision.
  const v = typeof d === 'string' ? d.toLowerCase() : '';
  if (['approve', 'approved', 'grant', 'granted'].includes(v)) return 'Approved';
  if (['deny', 'denied', 'reject', 'rejected'].includes(v)) return 'Denied';
  throw new BadRequestError('decision must be approve or deny');
}

async function pendingApproval(store: Store, org: string, run: string, action: string): Promise<StoredResource | undefined> {
  const { items } = await store.resources.list('AgentApproval', { namespace: tenantNamespace(org), labelSelector: `kradle.a5c.ai/dispatch-run=${run}` });
  return items.find((a) => a.spec.action === action && (!a.status.phase || a.status.phase === 'Pending'));
}

/**
 * §9.3: a pending approval of the same run and action is returned instead of a new one. The unique index
 * agent_approval_pending_once decides between concurrent requests: the loser's insert fails and it reads the winner's.
 */
export async function requestApproval(deps: ApprovalDeps, org: string, req: ApprovalRequest): Promise<StoredResource> {
  if (!(AGENT_APPROVAL_ACTIONS as readonly string[]).includes(req.action)) throw new BadRequestError(`action must be one of ${AGENT_APPROVAL_ACTIONS.join(', ')}`);
  const clock = deps.clock ?? systemClock;
  const spec = { dispatchRun: req.dispatchRun, action: req.action, requestedBy: req.requestedBy, ...(req.reason ? { reason: req.reason } : {}), ...(req.artifactDigest ? { artifactDigest: req.artifactDigest } : {}) };
  let created: StoredResource;
  try {
    created = await deps.store.resources.create(
      runtimeDoc('AgentApproval', org, randomName('ap', deps.random ?? cryptoRandom), spec, {
        labels: { 'kradle.a5c.ai/dispatch-run': req.dispatchRun },
        status: { phase: 'Pending', requestedAt: clock.now().toISOString() },
      }),
      { actor: req.requestedBy },
    );
  } catch (err) {
    const pending = await pendingApproval(deps.store, org, req.dispatchRun, req.action);
    if (pending) return pending;
    throw err;
  }
  await lifecyclePublisher(deps.store)(org, 'APPROVAL_REQUESTED', 'AgentApproval', created.metadata.name, { runId: req.dispatchRun, action: req.action, requestedBy: req.requestedBy, approvalRef: created.metadata.name, ...(req.artifactDigest ? { digest: req.artifactDigest } : {}) }, req.requestedBy);
  await deps.onRequested?.(org, created);
  return created;
}

export interface ApprovalService {
  request(org: string, req: ApprovalRequest): Promise<StoredResource>;
  decide(org: string, name: string, decision: Decision, principal: AgentPrincipal | undefined): Promise<StoredResource>;
  /** True only for an Approved approval of that run and action whose covered digest (if any) is `digest`. */
  isActionApproved(org: string, q: { dispatchRun: string; action: string; digest?: string }): Promise<ApprovalVerdict>;
}

export function createApprovalService(deps: ApprovalDeps): ApprovalService {
  const clock = deps.clock ?? systemClock;
  const publish = lifecyclePublisher(deps.store);
  return {
    request: (org, req) => requestApproval(deps, org, req),
    async decide(org, name, d, principal) {
      const phase = normalizeDecision(d.decision);
      if (d.reason !== undefined && (typeof d.reason !== 'string' || d.reason.length > MAX_REASON_CHARS)) throw new BadRequestError(`reason must be a string of at most ${MAX_REASON_CHARS} characters`);
      if (!isApprover(principal, org, deps.desired())) throw new ForbiddenError(`${principal?.subject ?? 'anonymous'} holds no approver role in org ${org}`);
      const decidedBy = principal!.subject;
      const updated = await mutateStatus(deps.store, 'AgentApproval', org, name, (a) => {
        if (a.status.phase && a.status.phase !== 'Pending') throw new ConflictError(`approval ${name} is already ${String(a.status.phase)}`);
        return { ...a.status, phase, decidedBy, decidedAt: clock.now().toISOString(), ...(d.reason ? { reason: d.reason } : {}), ...(a.spec.artifactDigest ? { approvedDigest: a.spec.artifactDigest } : {}) };
      }, decidedBy);
      const run = String(updated.spec.dispatchRun);
      if (phase === 'Approved') {
        await publish(org, 'APPROVAL_GRANTED', 'AgentApproval', name, { runId: run, decidedBy, approvalRef: name }, decidedBy);
        await deps.runs?.resume(org, run, decidedBy);
      } else {
        await publish(org, 'APPROVAL_DENIED', 'AgentApproval', name, { runId: run, decidedBy, reason: d.reason ?? '' }, decidedBy);
        await deps.runs?.deny(org, run, `approval ${name} denied by ${decidedBy}${d.reason ? `: ${d.reason}` : ''}`, decidedBy);
      }
      await deps.onDecided?.(org, updated);
      return updated;
    },
    isActionApproved: (org, q) => actionApproval(deps.store, org, q),
  };
}

export type ApprovalVerdict = { approved: boolean; reason: string; approvalRef?: string; denied?: boolean };

/** True only for an Approved approval of that run and action whose covered digest (if any) is `digest`; a Denied one covering it says so. */
export async function actionApproval(store: Pick<Store, 'resources'>, org: string, q: { dispatchRun: string; action: string; digest?: string }): Promise<ApprovalVerdict> {
  const { items } = await store.resources.list('AgentApproval', { namespace: tenantNamespace(org), labelSelector: `kradle.a5c.ai/dispatch-run=${q.dispatchRun}` });
  const covers = (a: StoredResource) => !a.spec.artifactDigest || a.spec.artifactDigest === q.digest;
  const mine = items.filter((a) => a.spec.action === q.action);
  const denied = mine.find((a) => a.status.phase === 'Denied' && covers(a));
  if (denied) return { approved: false, denied: true, approvalRef: denied.metadata.name, reason: `${q.action} was denied by ${String(denied.status.decidedBy)} (approval ${denied.metadata.name})` };
  const approved = mine.filter((a) => a.status.phase === 'Approved');
  if (!approved.length) return { approved: false, reason: `no approved ${q.action} approval for run ${q.dispatchRun}` };
  const valid = approved.find((a) => !a.status.approvedDigest || a.status.approvedDigest === q.digest);
  return valid ? { approved: true, approvalRef: valid.metadata.name, reason: `approved by ${String(valid.status.decidedBy)}` } : { approved: false, reason: 'the artifact digest changed since it was approved' };
}

export async function getApproval(store: Store, org: string, name: string): Promise<StoredResource> {
  const a = await store.resources.get('AgentApproval', tenantNamespace(org), name);
  if (!a) throw new NotFoundError(`AgentApproval ${name} not found`);
  return a;
}
