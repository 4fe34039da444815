import type { ClusterDriver, KubeObject } from '../cluster/types.ts';
import { createLoop, defineReconciler } from '../reconcile/index.ts';
import type { Store, StoredResource } from '../store/types.ts';
import { RUN_KIND, RUN_LABEL } from './dispatch-deps.ts';

export interface JobControllerDeps {
  store: Pick<Store, 'resources'>;
  driver: ClusterDriver;
  /** Applies one Job's state to its run (DispatchService.observeJob). */
  observeJob(job: KubeObject): Promise<StoredResource | undefined>;
  /** The org's namespace in the cluster, where its run Jobs are (tenantNamespaceOf the desired state). */
  namespaceOf(org: string): string;
  /** Full resync interval (default 60 s): every Running run's Job is looked at again. */
  resyncMs?: number;
  onError?: (err: unknown, key: string) => void;
}

export interface JobController {
  start(): Promise<void>;
  stop(): Promise<void>;
  idle(): Promise<void>;
}

const parts = (key: string) => { const [namespace, name] = key.split('/'); return { namespace: namespace!, name: name! }; };

/**
 * The agent Job watch on the reconcile engine: watch events only queue the Job's key; the reconciler reads the
 * Job and applies it to its run. A missed event (a watch gap, a restart) is healed by the resync, which queues
 * the Job of every Running run.
 */
export function createJobController(deps: JobControllerDeps): JobController {
  const reconciler = defineReconciler<KubeObject>({
    name: 'agent-jobs',
    async load(key) {
      const job = await deps.driver.get({ apiVersion: 'batch/v1', kind: 'Job', ...parts(key) });
      return job && { object: job };
    },
    steps: [{ name: 'observeJob', condition: 'JobObserveFailed', async run(ctx) {
      await deps.observeJob(ctx.object);
      return 'success';
    } }],
    // The outcome is the run's phase, written by observeJob under its own guard; the Job's status is the cluster's.
    async saveStatus() {},
  });
  async function enqueueAll(add: (key: string) => void): Promise<void> {
    let cont: string | undefined;
    do {
      const page = await deps.store.resources.list(RUN_KIND, { limit: 500, continue: cont });
      for (const r of page.items) {
        if (r.status.phase === 'Running' && typeof r.status.k8sJobName === 'string') add(`${deps.namespaceOf(String(r.spec.organizationRef))}/${r.status.k8sJobName}`);
      }
      cont = page.continue;
    } while (cont);
  }

  const loop = createLoop<string>({
    name: 'agent-jobs',
    handler: (key, signal) => reconciler.reconcile(key, signal),
    enqueueAll,
    resyncIntervalMs: deps.resyncMs ?? 60_000,
    // The driver's watch lists before it watches and reports every Job it lists as ADDED, so a Job that changed
    // while the runs were listed is queued by the watch's own listing: no cursor is needed.
    async watch(add) {
      const handle = await deps.driver.watch('batch/v1', 'Job', { labelSelector: RUN_LABEL }, (type, obj) => {
        if (type !== 'DELETED' && obj.metadata.namespace) add(`${obj.metadata.namespace}/${obj.metadata.name}`);
      }, (err) => deps.onError?.(err, 'watch'));
      return () => handle.stop();
    },
    onError: (key, err) => deps.onError?.(err, key),
    onResyncError: (err) => deps.onError?.(err, 'resync'),
  });

  return {
    async start() {
      if (deps.driver.mode !== 'live') return;
      await loop.start();
    },
    stop: () => loop.stop(),
    idle: () => loop.whenIdle(),
  };
}
