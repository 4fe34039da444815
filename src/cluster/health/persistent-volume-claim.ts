import { health, statusOf, type HealthCheck } from './types.ts';

export const persistentVolumeClaimHealth: HealthCheck = (obj) => {
  const phase = statusOf(obj).phase;
  if (phase === 'Bound') return health('Healthy', 'claim is bound');
  if (phase === 'Lost') return health('Degraded', 'claim lost its volume');
  return health('Progressing', 'waiting for the claim to be bound');
};
