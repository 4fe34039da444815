import { health, statusOf, type HealthCheck } from './types.ts';

export const namespaceHealth: HealthCheck = (obj) => {
  const phase = statusOf(obj).phase;
  if (phase === 'Active') return health('Healthy', 'namespace is active');
  if (phase === 'Terminating') return health('Progressing', 'namespace is terminating');
  return health('Progressing', 'waiting for the namespace to become active');
};
