import { ForbiddenError } from '../errors/index.ts';
import { tenantNamespace } from '../kinds/index.ts';
import type { DesiredState } from '../loader/types.ts';
import type { Store } from '../store/types.ts';
import type { ApprovalService } from './approvals.ts';
import { desiredSpec, refName } from './refs.ts';

/** Values of AgentToolProfile spec.approvalPolicyByTool that make a tool's use wait for an approval. */
const ASKING = new Set(['ask', 'approval', 'require-approval', 'required']);

/**
 * Why runs of `stack` must get `action` approved first, or undefined when they need not. A stack gates by
 * spec.approvalRequiredFor (a list of §9.1 actions), its KradleWorkspacePolicy by the same field, and its
 * tool profile gates tool-use per tool (spec.approvalPolicyByTool: {<tool>|'*': ask}).
 */
export function gateOf(state: DesiredState, org: string, stackName: string, action: string, tool?: string): string | undefined {
  const stack = desiredSpec(state, 'AgentStack', org, stackName);
  if (!stack) return undefined;
  const listed = (spec: Record<string, unknown> | undefined) => Array.isArray(spec?.approvalRequiredFor) && spec.approvalRequiredFor.includes(action);
  if (listed(stack)) return `stack ${stackName} requires approval for ${action}`;
  const policyName = refName(stack.workspacePolicy);
  if (listed(desiredSpec(state, 'KradleWorkspacePolicy', org, policyName))) return `workspace policy ${policyName} requires approval for ${action}`;
  if (action === 'tool-use' && tool) {
    const byTool = desiredSpec(state, 'AgentToolProfile', org, refName(stack.toolProfile))?.approvalPolicyByTool as Record<string, unknown> | undefined;
    const policy = byTool?.[tool] ?? byTool?.['*'];
    if (typeof policy === 'string' && ASKING.has(policy)) return `tool profile ${refName(stack.toolProfile)} requires approval for tool ${tool}`;
  }
  return undefined;
}

export interface GateQuery {
  dispatchRun: string;
  action: string;
  /** Digest of what the action covers (the diff to write back, the artifact to release); bound into the approval. */
  digest?: string;
  tool?: string;
  requestedBy: string;
}

export type GateAnswer =
  | { allowed: true; gated: boolean; approvalRef?: string; reason: string }
  | { allowed: false; approvalRef: string; reason: string };

export interface ActionGate {
  /** Allowed (not gated, or an approval covers this digest), or pending on an approval it requested; denied: 403. */
  check(org: string, q: GateQuery): Promise<GateAnswer>;
}

export interface ActionGateDeps {
  store: Pick<Store, 'resources'>;
  desired: () => DesiredState | undefined;
  approvals: Pick<ApprovalService, 'isActionApproved' | 'request'>;
}

/** The one place a gated action (§9.1) is let through: every caller of isActionApproved in production goes here. */
export function createActionGate(deps: ActionGateDeps): ActionGate {
  return {
    async check(org, q) {
      const run = await deps.store.resources.get('AgentDispatchRun', tenantNamespace(org), q.dispatchRun);
      const state = deps.desired();
      const why = run && state ? gateOf(state, org, String(run.status.stackRef), q.action, q.tool) : undefined;
      if (!why) return { allowed: true, gated: false, reason: 'not gated' };
      const verdict = await deps.approvals.isActionApproved(org, { dispatchRun: q.dispatchRun, action: q.action, digest: q.digest });
      if (verdict.approved) return { allowed: true, gated: true, approvalRef: verdict.approvalRef, reason: verdict.reason };
      if (verdict.denied) throw new ForbiddenError(verdict.reason);
      const approval = await deps.approvals.request(org, {
        dispatchRun: q.dispatchRun, action: q.action, requestedBy: q.requestedBy, reason: q.tool ? `${why} (${q.tool})` : why, ...(q.digest ? { artifactDigest: q.digest } : {}),
      });
      return { allowed: false, approvalRef: approval.metadata.name, reason: `${why}: waiting for approval ${approval.metadata.name}` };
    },
  };
}
