import { tenantNamespace } from '../kinds/index.ts';
import { tenantNamespaceOf } from '../loader/tenant-namespace.ts';
import type { DesiredResource, DesiredState } from '../loader/types.ts';
import { computeStackReadiness, type ReadinessType } from './readiness.ts';
import { desiredSpec, refName } from './refs.ts';

export interface DispatchRequestRefs {
  stack: unknown;
  repository: unknown;
  sourceRefs: unknown[];
}

export type ReviewResult =
  | { allowed: true; approval: { required: boolean; reason?: string; action: string } }
  | { allowed: false; code: string; reason: string };

/** `other/name`, or an object naming another org or its tenant namespace: a reference out of `org`. */
export function crossOrgOf(org: string, ref: unknown, slashForm = true, orgNamespace = tenantNamespace(org)): string | undefined {
  if (typeof ref === 'string') {
    if (!slashForm) return undefined;
    const slash = ref.indexOf('/');
    const owner = slash > 0 && !ref.includes(':') ? ref.slice(0, slash) : undefined;
    return owner && owner !== org ? owner : undefined;
  }
  if (!ref || typeof ref !== 'object') return undefined;
  const r = ref as Record<string, unknown>;
  for (const field of ['org', 'organizationRef', 'organization']) {
    if (typeof r[field] === 'string' && r[field] !== org) return r[field] as string;
  }
  if (typeof r.namespace === 'string' && r.namespace !== org && r.namespace !== orgNamespace) return r.namespace;
  return undefined;
}

/** Which failed readiness condition refuses a dispatch, with its review code. Order: identity before grants. */
const REFUSING: [ReadinessType, string][] = [
  ['RuntimeIdentityReady', 'MISSING_SERVICE_ACCOUNT'],
  ['RolesAdmitted', 'MISSING_ROLE_BINDING'],
  ['SecretsAdmitted', 'MISSING_SECRET_GRANT'],
  ['ConfigAdmitted', 'MISSING_CONFIG_GRANT'],
  ['CapabilitiesResolved', 'STACK_NOT_READY'],
  ['ToolsAdmitted', 'STACK_NOT_READY'],
  ['McpHealthy', 'STACK_NOT_READY'],
  ['SkillsValidated', 'STACK_NOT_READY'],
  ['SubagentsValid', 'STACK_NOT_READY'],
  ['ContextLabelsValid', 'STACK_NOT_READY'],
];

/**
 * Workspace policy rules (KradleWorkspacePolicy named by the stack's spec.workspacePolicy):
 * spec.allowedRepositories / spec.allowedTaskKinds limit what a run may touch (violation fails the run);
 * spec.requiresApproval: true sends every run of the stack through an AgentApproval.
 */
function workspacePolicy(stack: Record<string, unknown>, state: DesiredState, org: string, repository: string, taskKind: string) {
  const policy = desiredSpec(state, 'KradleWorkspacePolicy', org, refName(stack.workspacePolicy));
  if (!policy) return { violation: undefined, requiresApproval: false };
  const repos = Array.isArray(policy.allowedRepositories) ? policy.allowedRepositories.map(refName) : undefined;
  const kinds = Array.isArray(policy.allowedTaskKinds) ? policy.allowedTaskKinds.map(String) : undefined;
  const name = refName(stack.workspacePolicy);
  const violation =
    repos && !repos.includes(repository) ? `workspace policy ${name} does not allow repository ${repository}`
      : kinds && !kinds.includes(taskKind) ? `workspace policy ${name} does not allow task kind ${taskKind}` : undefined;
  return { violation, requiresApproval: policy.requiresApproval === true };
}

/** §6.3 Pending -> Failed | AwaitingApproval | Queued: the permission review of one dispatch request. */
export function reviewDispatch(
  org: string,
  stack: DesiredResource | undefined,
  state: DesiredState,
  req: DispatchRequestRefs & { taskKind: string },
): ReviewResult {
  // Source refs are Git refs (`refs/heads/x` is not an org): only their object form can name another org.
  const refs: [unknown, boolean][] = [[req.stack, true], [req.repository, true], ...req.sourceRefs.map((r): [unknown, boolean] => [r, false])];
  for (const [ref, slashForm] of refs) {
    const other = crossOrgOf(org, ref, slashForm, tenantNamespaceOf(state, org));
    if (other) return { allowed: false, code: 'CROSS_ORG_REF_DENIED', reason: `reference ${JSON.stringify(ref)} points into ${other}, outside org ${org}` };
  }
  if (!stack) return { allowed: false, code: 'STACK_NOT_FOUND', reason: `AgentStack ${refName(req.stack)} not found in org ${org}` };
  const readiness = computeStackReadiness(stack, state);
  for (const [type, code] of REFUSING) {
    const c = readiness.conditions.find((x) => x.type === type);
    if (c?.status === 'False') return { allowed: false, code, reason: `${type}: ${c.message}` };
  }
  const spec = stack.object.spec;
  const ws = workspacePolicy(spec, state, org, String(refName(req.repository)), req.taskKind);
  if (ws.violation) return { allowed: false, code: 'WORKSPACE_POLICY_VIOLATION', reason: ws.violation };
  const action = typeof spec.approvalAction === 'string' ? spec.approvalAction : 'tool-use';
  if (spec.requiresApproval === true) return { allowed: true, approval: { required: true, reason: `stack ${stack.id.name} requires approval`, action } };
  if (ws.requiresApproval) return { allowed: true, approval: { required: true, reason: `workspace policy ${refName(spec.workspacePolicy)} requires approval`, action } };
  return { allowed: true, approval: { required: false, action } };
}

/** §6.5: adapter -> AgentTransportBinding protocol/codec; http/json when no binding. */
export function resolveTransport(stack: Record<string, unknown>, state: DesiredState, org: string): { protocol: string; codec: string; binding?: string; endpoint?: string } {
  const adapter = refName(stack.adapter);
  const binding = state.byOrg(org).find((r) => r.id.kind === 'AgentTransportBinding' && refName(r.object.spec.adapterRef) === adapter);
  if (!binding) return { protocol: 'http', codec: 'json' };
  const s = binding.object.spec;
  return { protocol: String(s.protocol ?? 'http'), codec: String(s.codec ?? 'json'), binding: binding.id.name, endpoint: typeof s.endpoint === 'string' ? s.endpoint : undefined };
}
