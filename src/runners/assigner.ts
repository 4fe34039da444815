import { ConflictError } from '../errors/index.ts';
import { tenantNamespace } from '../kinds/index.ts';
import { createLoop, defineReconciler, orgKey, parseOrgKey, watchStoreEvents } from '../reconcile/index.ts';
import { QUEUED_PHASES, poolOfJob } from '../reconcile/runners/index.ts';
import type { Store, StoredResource } from '../store/types.ts';
import type { RunnerRegistry } from './registry.ts';

const JOB_KIND = 'Job';
const ENDED = new Set(['Succeeded', 'Failed', 'Cancelled', 'Completed']);

export interface RunnerAssignerDeps {
  store: Store;
  runners: RunnerRegistry;
  resyncMs?: number;
  onError?: (err: unknown, key: string) => void;
}

export interface RunnerAssigner {
  start(): Promise<void>;
  stop(): Promise<void>;
  idle(): Promise<void>;
  /** Looks at every queued and ended Job again (a runner registered or was freed). */
  poke(): Promise<void>;
}

/**
 * §12 runner operations on the reconcile engine: a queued Job record of a pool is assigned to an Idle runner of
 * it (the runner row and the Job's status in one transaction: Running, status.runnerRef), and an ended Job
 * releases its runner. Keys come from Job record events, `poke` and a periodic resync.
 */
export function createRunnerAssigner(deps: RunnerAssignerDeps): RunnerAssigner {
  const reconciler = defineReconciler<StoredResource>({
    name: 'runner-assignment',
    async load(key) {
      const { org, name } = parseOrgKey(key);
      const job = await deps.store.resources.get(JOB_KIND, tenantNamespace(org), name);
      return job && { object: job };
    },
    steps: [{ name: 'assignRunner', condition: 'AssignFailed', async run(ctx) {
      const { org, name } = parseOrgKey(ctx.key);
      const job = ctx.object;
      const phase = typeof job.status.phase === 'string' ? job.status.phase : '';
      if (ENDED.has(phase)) {
        await deps.runners.release(org, name);
        return 'success';
      }
      const pool = poolOfJob(job);
      if (!pool || !QUEUED_PHASES.has(phase)) return 'success';
      try {
        await deps.store.transaction(async (tx) => {
          const runner = await deps.runners.assign(tx, org, pool, name);
          if (!runner) return;
          await tx.resources.updateStatus({ ...job, status: { ...job.status, phase: 'Running', runnerRef: runner.name, assignedAt: new Date().toISOString() } }, { actor: `runner:${runner.name}` });
        });
      } catch (err) {
        // The Job record moved under us (rolled back with the runner row): its event brings it back here.
        if (!(err instanceof ConflictError)) throw err;
      }
      return 'success';
    } }],
    // What this reconciler decides is written by its step: the runner row and the Job record's status.
    async saveStatus() {},
  });
  async function enqueueAll(add: (key: string) => void): Promise<void> {
    let cont: string | undefined;
    do {
      const page = await deps.store.resources.list(JOB_KIND, { limit: 500, continue: cont });
      for (const j of page.items) {
        const phase = typeof j.status.phase === 'string' ? j.status.phase : '';
        if ((QUEUED_PHASES.has(phase) || ENDED.has(phase)) && poolOfJob(j)) add(orgKey(String(j.spec.organizationRef), j.metadata.name));
      }
      cont = page.continue;
    } while (cont);
  }

  const loop = createLoop<string>({
    name: 'runner-assignment',
    handler: (key, signal) => reconciler.reconcile(key, signal),
    enqueueAll,
    resyncIntervalMs: deps.resyncMs ?? 60_000,
    ...watchStoreEvents<string>(deps.store.events, (e, add) => {
      if (e.kind === JOB_KIND && e.org && (e.type === 'ADDED' || e.type === 'MODIFIED')) add(orgKey(e.org, e.name));
    }, (err) => deps.onError?.(err, 'subscription')),
    onError: (key, err) => deps.onError?.(err, key),
    onResyncError: (err) => deps.onError?.(err, 'resync'),
  });

  return {
    start: () => loop.start(),
    stop: () => loop.stop(),
    idle: () => loop.whenIdle(),
    poke: () => enqueueAll((key) => void loop.add(key)),
  };
}
