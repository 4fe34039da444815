// projections/ owns what Kubernetes objects each config kind becomes: its custom resource plus the native
// objects of DESIGN "Cluster projection". Pure functions of (resource, revision, clock): no I/O, no client.
import { isConfigKind } from '../../kinds/index.ts';
import type { DesiredResource, DesiredState } from '../../loader/types.ts';
import { objectIdentity, sortForApply } from '../apply-order.ts';
import type { KubeObject } from '../types.ts';
import { projectOrganization, projectServiceAccount } from './identity.ts';
import { projectInferenceService, projectServingRuntime } from './inference.ts';
import { customResource, type NativeProjection, type ProjectionContext } from './meta.ts';
import { exceptionExpiry, isApproved, projectPolicyBinding, projectPolicyException } from './policy.ts';
import { projectGrant, projectRoleBinding } from './rbac.ts';
import { projectRunnerPool } from './runners.ts';
import { projectWorkspace } from './workspaces.ts';

export * from './meta.ts';
export { orgNamespaceName } from './identity.ts';
export { EXPIRES_AT_ANNOTATION, exceptionExpiry, failureAction, isApproved, policyName } from './policy.ts';
export { resolveSubject, type RbacSubject } from './rbac.ts';
export { DEFAULT_RUNNER_IMAGE, RUNNER_POOL_LABEL, runnerDeploymentName } from './runners.ts';
export { DEFAULT_ACCESS_MODES, DEFAULT_WORKSPACE_SIZE, workspaceClaimName } from './workspaces.ts';

/** The kinds with a native meaning and the function that builds their native objects. */
const NATIVE: Readonly<Record<string, NativeProjection>> = {
  Organization: projectOrganization,
  AgentServiceAccount: projectServiceAccount,
  AgentRoleBinding: projectRoleBinding,
  AgentSecretGrant: projectGrant,
  AgentConfigGrant: projectGrant,
  PolicyBinding: projectPolicyBinding,
  PolicyExceptionRequest: projectPolicyException,
  RunnerPool: projectRunnerPool,
  KradleWorkspace: projectWorkspace,
  KradleInferenceService: projectInferenceService,
  KradleServingRuntime: projectServingRuntime,
};

/** Kinds that produce native objects besides their custom resource. */
export const NATIVE_PROJECTION_KINDS: readonly string[] = Object.keys(NATIVE);

export interface ProjectOptions {
  /** The clock for expiries (PolicyException); default: now. Pass it for a deterministic result. */
  now?: Date;
}

/**
 * Every Kubernetes object a config resource becomes: its custom resource first, then its native objects.
 * A runtime kind projects nothing (runtime records live in Postgres; dispatch Jobs are created elsewhere).
 */
export function projectResource(r: DesiredResource, state: DesiredState, opts: ProjectOptions = {}): KubeObject[] {
  if (!isConfigKind(r.id.kind)) return [];
  const ctx: ProjectionContext = { state, now: opts.now ?? new Date() };
  const native = NATIVE[r.id.kind];
  return [customResource(r), ...(native ? native(r, ctx) : [])];
}

/** Every object of a revision, one per identity, in apply order. */
export function projectState(state: DesiredState, opts: ProjectOptions = {}): KubeObject[] {
  const now = opts.now ?? new Date();
  const byId = new Map<string, KubeObject>();
  for (const r of state.resources.values()) {
    for (const obj of projectResource(r, state, { now })) byId.set(objectIdentity(obj), obj);
  }
  return sortForApply([...byId.values()]);
}

/**
 * The next instant after `now` at which the projection of this revision changes by itself (an approved
 * exception expiring), so a reconciler can requeue then; undefined when none is pending.
 */
export function nextProjectionChange(state: DesiredState, now: Date): Date | undefined {
  let next: Date | undefined;
  for (const r of state.byKind('PolicyExceptionRequest')) {
    const at = exceptionExpiry(r);
    if (isApproved(r) && at > now && (!next || at < next)) next = at;
  }
  return next;
}
