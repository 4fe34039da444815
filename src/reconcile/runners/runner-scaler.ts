import { objectIdentity, SOURCE_ANNOTATION } from '../../cluster/index.ts';
import type { KubeObject, WatchEventType } from '../../cluster/types.ts';
import { API_VERSION } from '../../kinds/index.ts';
import { sanitize } from '../../errors/index.ts';
import type { StoredResource, Store } from '../../store/types.ts';
import { watchStoreEvents } from '../event-watch.ts';
import { createLoop } from '../loop.ts';
import type { StatusWriter } from '../status/index.ts';
import { loadByPool, poolScale, type PoolLoad } from './queue-depth.ts';

export interface RunnerScalerDeps {
  store: Pick<Store, 'resources' | 'events'>;
  /** Applies a runner Deployment (force, field manager kradle). */
  driver: { apply(obj: KubeObject): Promise<unknown> };
  status: Pick<StatusWriter, 'merge'>;
  logger: { warn(obj: object, msg: string): void };
  /** Whether this process may write to the cluster now (it holds the leader lock). */
  canApply(): boolean;
}

export interface RunnerScaler {
  /** The objects of the last good revision: which pools exist and their runner Deployments. */
  track(objects: readonly KubeObject[]): void;
  /** Runner Deployments get replicas = the pool's desiredReplicas; other objects pass unchanged. */
  adjust(obj: KubeObject): KubeObject;
  /** A runner Deployment seen live: its ready replicas show in the pool's status, its spec.replicas is what is applied. */
  observe(type: WatchEventType, obj: KubeObject): void;
  /** Re-reads the Job records (of one namespace, or all) and updates pools' status and Deployments; resolves when done. */
  recompute(namespace?: string): Promise<void>;
  /** Follows Job records through the store's event stream (leader-only). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface Pool {
  key: string;
  namespace: string;
  name: string;
  warm: number;
  max: number;
  deployment?: KubeObject;
  load: PoolLoad;
  live: { replicas: number; ready: number };
  desired?: number;
  /** spec.replicas of the Deployment as last seen live or applied (undefined: not yet known). */
  applied?: number;
}

const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);

async function listJobs(store: RunnerScalerDeps['store'], namespace: string): Promise<StoredResource[]> {
  const jobs: StoredResource[] = [];
  let token: string | undefined;
  do {
    const page = await store.resources.list('Job', { namespace, limit: 500, ...(token ? { continue: token } : {}) });
    jobs.push(...page.items);
    token = page.continue;
  } while (token);
  return jobs;
}

/**
 * RunnerPool scaling from queue depth. The runner Deployment's spec.replicas has one owner, field manager
 * `kradle`, and every path that applies it (sync pass, self-heal, this scaler) takes the value from adjust():
 * they agree by construction, so none of them reverts another.
 */
export function createRunnerScaler(deps: RunnerScalerDeps): RunnerScaler {
  let pools = new Map<string, Pool>();
  let byDeployment = new Map<string, Pool>();

  /** Status, then the Deployment when its replicas are behind; false when the apply failed. */
  async function publish(pool: Pool): Promise<boolean> {
    const scale = poolScale(pool, pool.load, pool.live);
    pool.desired = scale.desiredReplicas;
    await deps.status.merge(pool.key, { fields: { ...scale } });
    if (!pool.deployment || !deps.canApply() || pool.applied === pool.desired) return true;
    try {
      await deps.driver.apply(adjustDeployment(pool, pool.deployment));
      pool.applied = pool.desired;
      return true;
    } catch (err) {
      deps.logger.warn({ pool: pool.key, err: sanitize(String(err)) }, 'runner scaling failed; retried with back-off');
      return false;
    }
  }

  /** Computed from the pool's current spec and load, so a changed warmReplicas applies at once, not one step late. */
  const adjustDeployment = (pool: Pool, obj: KubeObject): KubeObject =>
    ({ ...obj, spec: { ...(obj.spec as Record<string, unknown>), replicas: poolScale(pool, pool.load, pool.live).desiredReplicas } });

  /** One namespace's pools from its Job records: the work of one key. */
  async function run(namespace: string): Promise<'success' | 'requeue'> {
    const targets = [...pools.values()].filter((p) => p.namespace === namespace);
    if (targets.length === 0) return 'success';
    const load = loadByPool(await listJobs(deps.store, namespace));
    let applied = true;
    for (const pool of targets) {
      pool.load = load.get(pool.name) ?? { queued: 0, running: 0 };
      applied = (await publish(pool)) && applied;
    }
    return applied ? 'success' : 'requeue';
  }

  // One key per namespace: Job events of a burst collapse into one recompute, and a namespace is never
  // recomputed twice at once.
  const loop = createLoop<string>({
    name: 'runner-scaling',
    concurrency: 2,
    handler: (namespace) => run(namespace),
    backoff: { baseMs: 1000 },
    ...watchStoreEvents<string>(deps.store.events, (e, add) => {
      if (e.kind !== 'Job') return;
      if (e.namespace) add(e.namespace);
      else for (const p of pools.values()) add(p.namespace);
    }, (err) => deps.logger.warn({ err: sanitize(String(err)) }, 'Job event stream failed')),
    onError: (namespace, err) => deps.logger.warn({ namespace, err: sanitize(String(err)) }, 'runner queue depth recompute failed; retried with back-off'),
  });

  async function recompute(namespace?: string): Promise<void> {
    const namespaces = namespace === undefined ? new Set([...pools.values()].map((p) => p.namespace)) : [namespace];
    for (const ns of namespaces) loop.add(ns);
    await loop.whenIdle();
  }

  return {
    track(objects) {
      const next = new Map<string, Pool>();
      for (const o of objects) {
        if (o.apiVersion !== API_VERSION || o.kind !== 'RunnerPool') continue;
        const key = o.metadata.annotations?.[SOURCE_ANNOTATION] ?? `RunnerPool/${o.metadata.namespace}/${o.metadata.name}`;
        const spec = (o.spec ?? {}) as Record<string, unknown>;
        const old = pools.get(key);
        const warm = num(spec.warmReplicas, 0);
        next.set(key, {
          key, namespace: o.metadata.namespace ?? '', name: o.metadata.name, warm, max: num(spec.maxReplicas, warm),
          load: old?.load ?? { queued: 0, running: 0 }, live: old?.live ?? { replicas: 0, ready: 0 }, desired: old?.desired, applied: old?.applied,
        });
      }
      const deployments = new Map<string, Pool>();
      for (const o of objects) {
        const pool = o.kind === 'Deployment' ? next.get(o.metadata.annotations?.[SOURCE_ANNOTATION] ?? '') : undefined;
        if (!pool) continue;
        pool.deployment = o;
        deployments.set(objectIdentity(o), pool);
      }
      pools = next;
      byDeployment = deployments;
    },
    adjust(obj) {
      const pool = obj.kind === 'Deployment' ? byDeployment.get(objectIdentity(obj)) : undefined;
      return pool ? adjustDeployment(pool, obj) : obj;
    },
    observe(type, obj) {
      const pool = obj.kind === 'Deployment' ? byDeployment.get(objectIdentity(obj)) : undefined;
      if (!pool) return;
      // spec.replicas has one owner, us: what the server holds is what was last applied.
      pool.applied = type === 'DELETED' ? undefined : (obj.spec as { replicas?: number } | undefined)?.replicas;
      const st = (type === 'DELETED' ? {} : obj.status ?? {}) as Record<string, unknown>;
      const live = { replicas: num(st.replicas, 0), ready: num(st.readyReplicas, 0) };
      if (live.replicas === pool.live.replicas && live.ready === pool.live.ready) return;
      pool.live = live;
      loop.add(pool.namespace);
    },
    recompute,
    start: () => loop.start(),
    stop: () => loop.stop(),
  };
}
