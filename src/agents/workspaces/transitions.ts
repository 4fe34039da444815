import type { ClusterDriver } from '../../cluster/types.ts';
import { tenantNamespace } from '../../kinds/index.ts';
import { tenantNamespaceOf } from '../../loader/tenant-namespace.ts';
import type { DesiredState } from '../../loader/types.ts';
import type { Store, StoredResource } from '../../store/types.ts';
import type { HandlerResult } from '../../reconcile/index.ts';
import type { Clock } from '../refs.ts';
import { moveWorkspace, type WorkspacePhase } from './claims.ts';
import { claimNameOf, poolConfig, workspacePvc } from './pool.ts';

export interface TransitionDeps {
  store: Pick<Store, 'resources' | 'events'>;
  driver: ClusterDriver;
  desired: () => DesiredState | undefined;
  clock: Clock;
  /** Told when a workspace enters a phase (notifications, events). */
  onPhase?: (org: string, ws: StoredResource, from: WorkspacePhase) => Promise<void>;
}

const PROVISION_POLL_MS = 2_000;
const TERMINAL_RUN = new Set(['Completed', 'Failed']);

/** The move out of `from`, as fields of the next status; undefined: stay (maybe requeue after a while). */
type Step = (deps: TransitionDeps, org: string, ws: StoredResource) => Promise<{ to: WorkspacePhase; fields?: Record<string, unknown> } | { wait: HandlerResult }>;

const provision: Step = async (deps, org, ws) => {
  await deps.driver.apply(workspacePvc(org, tenantNamespaceOf(deps.desired(), org), ws));
  return { to: 'Provisioning', fields: { pvcName: claimNameOf(ws), gitPhase: 'Cloning' } };
};

const awaitBound: Step = async (deps, org, ws) => {
  if (deps.driver.mode !== 'live') return { wait: { requeueAfterMs: 60_000 } };
  const pvc = await deps.driver.get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: tenantNamespaceOf(deps.desired(), org), name: claimNameOf(ws) });
  if (!pvc) return { to: 'Pending', fields: { lastError: 'the PVC disappeared while provisioning; it is created again' } };
  if ((pvc.status as { phase?: string } | undefined)?.phase !== 'Bound') return { wait: { requeueAfterMs: PROVISION_POLL_MS } };
  // A workspace provisioned for a run goes straight to it; a pool one waits to be claimed.
  return ws.status.runRef ? { to: 'InUse', fields: { readyAt: now(deps) } } : { to: 'Ready', fields: { readyAt: now(deps) } };
};

const idle: Step = async (deps, org, ws) => {
  if (ws.status.archiveRequested) return { to: 'Archiving', fields: { archiveReason: 'requested' } };
  const pool = deps.desired() ? poolConfig(deps.desired()!, org, String(ws.spec.policy)) : undefined;
  if (!pool?.ttlMs) return { wait: 'success' };
  const since = Date.parse(String(ws.status.releasedAt ?? ws.status.readyAt ?? ws.metadata.creationTimestamp));
  const left = since + pool.ttlMs - deps.clock.now().getTime();
  return left <= 0 ? { to: 'Archiving', fields: { archiveReason: 'ttl-expired' } } : { wait: { requeueAfterMs: left } };
};

const inUse: Step = async (deps, org, ws) => {
  const run = await deps.store.resources.get('AgentDispatchRun', tenantNamespace(org), String(ws.status.runRef));
  if (run && !TERMINAL_RUN.has(String(run.status.phase))) return { wait: 'success' };
  const pool = deps.desired() ? poolConfig(deps.desired()!, org, String(ws.spec.policy)) : undefined;
  const failed = run?.status.phase === 'Failed';
  const released = { runRef: null, lastRunRef: ws.status.runRef, releasedAt: now(deps) };
  if (ws.status.archiveRequested || (failed && (pool?.archiveOnFailure ?? true)) || !pool) {
    return { to: 'Archiving', fields: { ...released, archiveReason: ws.status.archiveRequested ? 'requested' : failed ? 'run-failed' : 'policy-removed' } };
  }
  return { to: 'Ready', fields: released };
};

const archive: Step = async (deps, org, ws) => {
  await deps.driver.delete({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: tenantNamespaceOf(deps.desired(), org), name: claimNameOf(ws) });
  return { to: 'Archived', fields: { archivedAt: now(deps), pvcPhase: 'Released' } };
};

const STEPS: Partial<Record<WorkspacePhase, Step>> = { Pending: provision, Provisioning: awaitBound, Ready: idle, InUse: inUse, Archiving: archive };

function now(deps: TransitionDeps): string {
  return deps.clock.now().toISOString();
}

/**
 * One §7.5 transition of a workspace, written with a guard on its phase (a claim or an archive request racing it
 * wins, and this reconcile runs again). Each step is idempotent, so a restart mid-transition repeats it safely.
 */
export async function advanceWorkspace(deps: TransitionDeps, org: string, ws: StoredResource): Promise<HandlerResult> {
  const from = (ws.status.phase ?? 'Pending') as WorkspacePhase;
  const step = STEPS[from];
  if (!step) return 'success';
  const out = await step(deps, org, ws);
  if ('wait' in out) return out.wait;
  const moved = await moveWorkspace(deps.store, org, ws.metadata.name, (cur) => {
    if ((cur.status.phase ?? 'Pending') !== from) return undefined;
    // A claim landed between the read and this write: Ready -> InUse wins over a TTL archive.
    if (from === 'Ready' && cur.status.runRef) return undefined;
    return { ...cur.status, ...out.fields, phase: out.to, phaseTransitionTime: now(deps), lastError: null };
  });
  if (moved) await deps.onPhase?.(org, moved, from);
  // The next phase's step runs at once (a fixed delay, so the key's back-off stays reset).
  return { requeueAfterMs: 1 };
}
