import { conditionOf, health, specOf, statusOf, type HealthCheck } from './types.ts';

/** Rollout status as `kubectl rollout status` reads it. */
export const deploymentHealth: HealthCheck = (obj) => {
  const spec = specOf(obj);
  const status = statusOf(obj);
  if (spec.paused === true) return health('Suspended', 'deployment is paused');
  const generation = Number(obj.metadata.generation ?? 0);
  if (Number(status.observedGeneration ?? 0) < generation) return health('Progressing', 'waiting for the rollout to be observed');
  const progressing = conditionOf(obj, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return health('Degraded', `deployment "${obj.metadata.name}" exceeded its progress deadline`);
  const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const updated = Number(status.updatedReplicas ?? 0);
  const total = Number(status.replicas ?? 0);
  const available = Number(status.availableReplicas ?? 0);
  if (updated < desired) return health('Progressing', `${updated} of ${desired} replicas updated`);
  if (total > updated) return health('Progressing', `${total - updated} old replicas pending termination`);
  if (available < updated) return health('Progressing', `${available} of ${updated} updated replicas available`);
  return health('Healthy', `${available} of ${desired} replicas available`);
};
