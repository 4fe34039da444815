import { sanitize } from '../../errors/index.ts';
import { tenantNamespace } from '../../kinds/index.ts';
import { createLoop, defineReconciler, orgKey, parseOrgKey, watchStoreEvents } from '../../reconcile/index.ts';
import type { Store, StoredResource } from '../../store/types.ts';
import { cryptoRandom, systemClock, type Clock, type RandomSource } from '../refs.ts';
import { newWorkspace, moveWorkspace } from './claims.ts';
import { allPools, poolConfig, POLICY_LABEL, WORKSPACE_KIND, type PoolConfig } from './pool.ts';
import { advanceWorkspace, type TransitionDeps } from './transitions.ts';

export interface WorkspaceControllerDeps extends Omit<TransitionDeps, 'clock'> {
  store: Store;
  clock?: Clock;
  random?: RandomSource;
  /** Full resync interval (default 60 s): TTLs and missed events heal within it. */
  resyncMs?: number;
  onError?: (err: unknown, key: string) => void;
}

export interface WorkspaceController {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves when no workspace key waits or runs (tests, shutdown). */
  idle(): Promise<void>;
  enqueue(org: string, name: string): void;
}

const wsKey = (org: string, name: string) => `ws/${orgKey(org, name)}`;
const poolKey = (org: string, policy: string) => `pool/${orgKey(org, policy)}`;
const LIVE = ['Pending', 'Provisioning', 'Ready'];

/**
 * §7 workspaces on the reconcile engine: one reconciler drives each workspace through its phases, one keeps each
 * policy's warm pool filled. Keys come from store events (workspaces, runs ending), a start-up pass and a periodic
 * resync, so a restart resumes every workspace where it stood.
 */
export function createWorkspaceController(deps: WorkspaceControllerDeps): WorkspaceController {
  const clock = deps.clock ?? systemClock;
  const tdeps: TransitionDeps = { ...deps, clock };
  const workspaces = defineReconciler<StoredResource>({
    name: 'workspaces',
    async load(key) {
      const { org, name } = parseOrgKey(key);
      const ws = await deps.store.resources.get(WORKSPACE_KIND, tenantNamespace(org), name);
      return ws && { object: ws, generation: ws.metadata.generation, status: { conditions: (ws.status.conditions ?? []) as never } };
    },
    steps: [{ name: 'advancePhase', condition: 'TransitionFailed', run: (ctx) => advanceWorkspace(tdeps, parseOrgKey(ctx.key).org, ctx.object) }],
    async saveStatus(ctx) {
      const { org, name } = parseOrgKey(ctx.key);
      await moveWorkspace(deps.store, org, name, (cur) => (JSON.stringify(cur.status.conditions ?? []) === JSON.stringify(ctx.status.conditions) ? undefined : { ...cur.status, conditions: ctx.status.conditions }));
    },
    clock: () => clock.now(),
  });
  const pools = defineReconciler<PoolConfig & { org: string }>({
    name: 'workspace-pools',
    async load(key) {
      const { org, name } = parseOrgKey(key);
      const state = deps.desired();
      const pool = state && poolConfig(state, org, name);
      return pool && { object: { ...pool, org } };
    },
    steps: [{ name: 'fillPool', condition: 'PoolFillFailed', async run(ctx) {
      const { org, policy, warm } = ctx.object;
      const { items } = await deps.store.resources.list(WORKSPACE_KIND, { namespace: tenantNamespace(org), labelSelector: `${POLICY_LABEL}=${policy.slice(0, 63)}` });
      const spare = items.filter((w) => LIVE.includes(String(w.status.phase ?? 'Pending')) && !w.status.runRef && !w.status.archiveRequested).length;
      for (let i = spare; i < warm; i++) await newWorkspace({ store: deps.store, clock, random: deps.random ?? cryptoRandom }, org, ctx.object);
      return 'success';
    } }],
    // The pool's state is its workspace records; nothing else to persist.
    async saveStatus() {},
    clock: () => clock.now(),
  });

  async function enqueueAll(add: (key: string) => void): Promise<void> {
    const state = deps.desired();
    for (const p of state ? allPools(state) : []) add(poolKey(p.org, p.policy));
    let cont: string | undefined;
    do {
      const page = await deps.store.resources.list(WORKSPACE_KIND, { limit: 500, continue: cont });
      for (const w of page.items) if (w.status.phase !== 'Archived') add(wsKey(String(w.spec.organizationRef), w.metadata.name));
      cont = page.continue;
    } while (cont);
  }

  const loop = createLoop<string>({
    name: 'workspaces',
    handler: (key, signal) => (key.startsWith('pool/') ? pools : workspaces).reconcile(key, signal),
    enqueueAll,
    resyncIntervalMs: deps.resyncMs ?? 60_000,
    ...watchStoreEvents<string>(deps.store.events, (e, add) => {
      if (!e.org || (e.type !== 'ADDED' && e.type !== 'MODIFIED')) return;
      const doc = e.payload as StoredResource | undefined;
      if (e.kind === WORKSPACE_KIND) {
        add(wsKey(e.org, e.name));
        if (typeof doc?.spec?.policy === 'string') add(poolKey(e.org, doc.spec.policy));
      } else if (e.kind === 'AgentDispatchRun' && typeof doc?.status?.workspaceRef === 'string' && !doc.status.workspaceRef.includes('/') && ['Completed', 'Failed'].includes(String(doc.status.phase))) {
        add(wsKey(e.org, doc.status.workspaceRef));
      }
    }, (err) => deps.onError?.(err, 'subscription')),
    onError: (key, err) => deps.onError?.(sanitize(String(err)), key),
    onResyncError: (err) => deps.onError?.(err, 'resync'),
  });

  return {
    start: () => loop.start(),
    stop: () => loop.stop(),
    idle: () => loop.whenIdle(),
    enqueue: (org, name) => void loop.add(wsKey(org, name)),
  };
}
