import { conditionOf, health, specOf, statusOf, type HealthCheck } from './types.ts';

export const jobHealth: HealthCheck = (obj) => {
  const failed = conditionOf(obj, 'Failed');
  if (failed?.status === 'True') return health('Degraded', failed.message || failed.reason || 'job failed');
  const complete = conditionOf(obj, 'Complete');
  if (complete?.status === 'True') return health('Healthy', complete.message || 'job completed');
  if (specOf(obj).suspend === true) return health('Suspended', 'job is suspended');
  return health('Progressing', `job is running (${Number(statusOf(obj).active ?? 0)} active)`);
};
