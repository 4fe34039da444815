import { ConflictError } from '../../errors/index.ts';
import { tenantNamespace } from '../../kinds/index.ts';
import type { Store, StoredResource } from '../../store/types.ts';
import { randomName, runtimeDoc, type Clock, type RandomSource } from '../refs.ts';
import { POLICY_LABEL, RUN_LABEL, runtimeClaimName, WORKSPACE_KIND, type PoolConfig } from './pool.ts';

export type WorkspacePhase = 'Pending' | 'Provisioning' | 'Ready' | 'InUse' | 'Archiving' | 'Archived';

export interface ClaimDeps {
  store: Pick<Store, 'resources'>;
  clock: Clock;
  random: RandomSource;
}

/** A new workspace record of a pool, Pending; `run` provisions it for that run (claimed from the start). */
export function newWorkspace(deps: ClaimDeps, org: string, pool: PoolConfig, run?: string): Promise<StoredResource> {
  const name = run ? `ws-${run}`.slice(0, 63) : randomName(`ws-${pool.policy}`.slice(0, 40), deps.random);
  const now = deps.clock.now().toISOString();
  return deps.store.resources.create(runtimeDoc(WORKSPACE_KIND, org, name, { workspaceRef: name, status: 'managed', policy: pool.policy, volumeSpec: pool.volume }, {
    labels: { [POLICY_LABEL]: pool.policy.slice(0, 63), ...(run ? { [RUN_LABEL]: run } : {}) },
    status: { phase: 'Pending', createdAt: now, pvcName: runtimeClaimName(name), ...(run ? { runRef: run, claimedAt: now } : {}) },
  }), { actor: 'kradle-workspaces' });
}

/**
 * One guarded write moving a workspace: `fn` sees the current record and returns the next status, or undefined
 * when the move no longer applies (another writer got there first). A stale write is re-read, never forced.
 */
export async function moveWorkspace(store: Pick<Store, 'resources'>, org: string, name: string, fn: (ws: StoredResource) => Record<string, unknown> | undefined, actor = 'kradle-workspaces'): Promise<StoredResource | undefined> {
  for (let i = 0; i < 5; i++) {
    const cur = await store.resources.get(WORKSPACE_KIND, tenantNamespace(org), name);
    if (!cur) return undefined;
    const next = fn(cur);
    if (!next) return undefined;
    try {
      return await store.resources.updateStatus({ ...cur, status: next }, { actor });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  return undefined;
}

/**
 * Ready -> InUse for `run`: the first Ready, unclaimed workspace of the pool whose guarded write lands. Two runs
 * reading the same Ready workspace both write with its resourceVersion; only one write lands, the other moves on.
 * None Ready: a workspace is provisioned for the run (claimed from Pending).
 */
export async function claimWorkspace(deps: ClaimDeps, org: string, pool: PoolConfig, run: string): Promise<StoredResource> {
  const mine = await deps.store.resources.get(WORKSPACE_KIND, tenantNamespace(org), `ws-${run}`.slice(0, 63));
  if (mine?.status.runRef === run) return mine;
  const { items } = await deps.store.resources.list(WORKSPACE_KIND, { namespace: tenantNamespace(org), labelSelector: `${POLICY_LABEL}=${pool.policy.slice(0, 63)}` });
  const held = items.find((w) => w.status.runRef === run && w.status.phase !== 'Archived');
  if (held) return held;
  for (const ws of items.filter((w) => w.status.phase === 'Ready' && !w.status.runRef && !w.status.archiveRequested)) {
    try {
      const now = deps.clock.now().toISOString();
      return await deps.store.resources.updateStatus({ ...ws, status: { ...ws.status, phase: 'InUse', runRef: run, claimedAt: now } }, { actor: `run:${run}` });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  try {
    return await newWorkspace(deps, org, pool, run);
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    return (await deps.store.resources.get(WORKSPACE_KIND, tenantNamespace(org), `ws-${run}`.slice(0, 63)))!;
  }
}
