import { RUNNER_POOL_LABEL } from '../../cluster/index.ts';
import { refName } from '../../kinds/index.ts';
import type { StoredResource } from '../../store/types.ts';

/** Phases of a runtime Job record that wait for a runner (no phase yet counts as waiting). */
export const QUEUED_PHASES: ReadonlySet<string> = new Set(['', 'Pending', 'Queued']);
export const RUNNING_PHASES: ReadonlySet<string> = new Set(['Running']);

export interface PoolLoad {
  queued: number;
  running: number;
}

/** The pool a Job record waits for: `spec.runnerPool` (a name or `{name}`), else its runner-pool label. */
export function poolOfJob(job: StoredResource): string | undefined {
  return refName((job.spec as Record<string, unknown> | undefined)?.runnerPool) ?? (job.metadata.labels?.[RUNNER_POOL_LABEL] || undefined);
}

/** Queued and running Jobs per pool name, for the Jobs of one namespace. */
export function loadByPool(jobs: readonly StoredResource[]): Map<string, PoolLoad> {
  const out = new Map<string, PoolLoad>();
  for (const job of jobs) {
    const pool = poolOfJob(job);
    if (!pool) continue;
    const phase = typeof job.status?.phase === 'string' ? job.status.phase : '';
    const load = out.get(pool) ?? { queued: 0, running: 0 };
    if (QUEUED_PHASES.has(phase)) load.queued++;
    else if (RUNNING_PHASES.has(phase)) load.running++;
    out.set(pool, load);
  }
  return out;
}

export interface PoolScale {
  queueDepth: number;
  runningJobs: number;
  desiredReplicas: number;
  readyReplicas: number;
  /** Spec §12.3: Empty (no runner ready), Active (a Job is running), Idle. */
  poolPhase: 'Empty' | 'Active' | 'Idle';
  /** Spec §12.4, against desiredReplicas: fewer runners than desired, more, or as many. */
  scaling: 'ScalingUp' | 'ScalingDown' | 'Stable';
}

/** desiredReplicas = clamp(warm + queued, warm, max); the rest from the Deployment's observed replicas. */
export function poolScale(pool: { warm: number; max: number }, load: PoolLoad, live: { replicas: number; ready: number }): PoolScale {
  const max = Math.max(pool.max, pool.warm);
  const desiredReplicas = Math.min(Math.max(pool.warm + load.queued, pool.warm), max);
  const poolPhase = live.ready === 0 ? 'Empty' : load.running > 0 ? 'Active' : 'Idle';
  const scaling = live.replicas < desiredReplicas ? 'ScalingUp' : live.replicas > desiredReplicas ? 'ScalingDown' : 'Stable';
  return { queueDepth: load.queued, runningJobs: load.running, desiredReplicas, readyReplicas: live.ready, poolPhase, scaling };
}
