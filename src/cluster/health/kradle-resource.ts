import { conditionOf, health, readyHealth, specOf, statusOf, type HealthCheck } from './types.ts';

/** Kradle custom resources carry Ready, Reconciling and Stalled conditions written by the controller. */
export const kradleResourceHealth: HealthCheck = (obj) => {
  if (specOf(obj).suspend === true) return health('Suspended', 'reconciliation is suspended');
  const stalled = conditionOf(obj, 'Stalled');
  if (stalled?.status === 'True') return health('Degraded', stalled.message || stalled.reason || 'reconciliation stalled');
  const observed = statusOf(obj).observedGeneration;
  if (typeof observed === 'number' && observed < Number(obj.metadata.generation ?? 0)) {
    return health('Progressing', 'waiting for the controller to observe the latest generation');
  }
  const reconciling = conditionOf(obj, 'Reconciling');
  if (reconciling?.status === 'True') return health('Progressing', reconciling.message || 'reconciling');
  return readyHealth(obj, obj.kind);
};
