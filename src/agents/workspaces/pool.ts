import { DEFAULT_ACCESS_MODES, DEFAULT_WORKSPACE_SIZE, workspaceClaimName } from '../../cluster/index.ts';
import type { KubeObject } from '../../cluster/types.ts';
import { MANAGED_BY, MANAGED_BY_LABEL, ORG_LABEL, OWNER_LABEL } from '../../kinds/index.ts';
import type { DesiredState } from '../../loader/types.ts';
import type { StoredResource } from '../../store/types.ts';
import { desiredSpec, refName } from '../refs.ts';

/** The runtime record of one managed workspace; its status.phase is the §7.1 phase. */
export const WORKSPACE_KIND = 'KradleWorkspaceRuntime';
export const POLICY_LABEL = 'kradle.a5c.ai/workspace-policy';
export const RUN_LABEL = 'kradle.a5c.ai/dispatch-run';

/**
 * A runtime workspace's PVC: `kradle-rws-<name>`. A config KradleWorkspace's is `kradle-ws-<name>` (workspaceClaimName),
 * and no name makes one start with the other, so a config workspace named like a runtime one (`ws-...`) can never
 * apply or prune a runtime workspace's volume.
 */
export function runtimeClaimName(name: string): string {
  return `kradle-rws-${name}`;
}

/**
 * The claim a workspace record uses: the name it was created with (status.pvcName). A record made before runtime
 * claims had their own names has none and keeps the claim it provisioned under the config form.
 */
export function claimNameOf(ws: StoredResource): string {
  return typeof ws.status.pvcName === 'string' && ws.status.pvcName ? ws.status.pvcName : workspaceClaimName(ws.metadata.name);
}

export interface PoolConfig {
  policy: string;
  /** Ready, unclaimed workspaces kept warm. */
  warm: number;
  /** How long a Ready workspace may sit unclaimed before it is archived; undefined: forever. */
  ttlMs?: number;
  /** A failed run's workspace is archived instead of returned to the pool. */
  archiveOnFailure: boolean;
  volume: Record<string, unknown>;
}

/**
 * A KradleWorkspacePolicy manages workspaces when it declares `warmPool` (a count, or {size}); 0 keeps no warm
 * ones and provisions one per run. TTL: retentionPolicy.ttlSeconds or keepForHours. retentionPolicy.archiveOnFailure
 * (default true) archives a failed run's workspace.
 */
export function poolConfig(state: DesiredState, org: string, policy: string | undefined): PoolConfig | undefined {
  const spec = desiredSpec(state, 'KradleWorkspacePolicy', org, policy);
  if (!spec || spec.warmPool === undefined) return undefined;
  const raw = typeof spec.warmPool === 'object' && spec.warmPool ? (spec.warmPool as { size?: unknown }).size : spec.warmPool;
  const warm = Math.max(0, Math.min(50, Math.floor(Number(raw) || 0)));
  const retention = (spec.retentionPolicy ?? {}) as Record<string, unknown>;
  const ttlSeconds = typeof retention.ttlSeconds === 'number' ? retention.ttlSeconds : typeof retention.keepForHours === 'number' ? retention.keepForHours * 3600 : undefined;
  return {
    policy: policy!, warm, ttlMs: ttlSeconds !== undefined ? ttlSeconds * 1000 : undefined,
    archiveOnFailure: retention.archiveOnFailure !== false,
    volume: (spec.volumeSpec ?? {}) as Record<string, unknown>,
  };
}

/** Every managed pool of the state, for the resync. */
export function allPools(state: DesiredState): { org: string; policy: string }[] {
  return state.byKind('KradleWorkspacePolicy').filter((r) => r.object.spec.warmPool !== undefined).map((r) => ({ org: r.org ?? String(r.object.spec.organizationRef), policy: r.id.name }));
}

export function stackPolicy(state: DesiredState, org: string, stack: string): string | undefined {
  return refName(desiredSpec(state, 'AgentStack', org, stack)?.workspacePolicy);
}

/** `namespace`: the org's namespace in the cluster (tenantNamespaceOf), where its run Jobs mount the claim. */
export function workspacePvc(org: string, namespace: string, ws: StoredResource): KubeObject {
  const name = ws.metadata.name;
  const volume = (ws.spec.volumeSpec ?? {}) as Record<string, unknown>;
  const size = typeof volume.size === 'string' || typeof volume.size === 'number' ? String(volume.size) : DEFAULT_WORKSPACE_SIZE;
  const accessModes = Array.isArray(volume.accessModes) && volume.accessModes.length ? volume.accessModes.map(String) : DEFAULT_ACCESS_MODES;
  const spec: Record<string, unknown> = { accessModes, resources: { requests: { storage: size } } };
  if (typeof volume.storageClassName === 'string' && volume.storageClassName) spec.storageClassName = volume.storageClassName;
  return {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimNameOf(ws), namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [ORG_LABEL]: org, [OWNER_LABEL]: `${WORKSPACE_KIND}.${name}`.slice(0, 63) },
    },
    spec,
  };
}
