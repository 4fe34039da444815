import { readyHealth, statusOf, health, type HealthCheck } from './types.ts';

/** Kyverno reports a Ready condition; releases before 1.9 set status.ready instead. */
export const kyvernoPolicyHealth: HealthCheck = (obj) => {
  const legacy = statusOf(obj).ready;
  if (typeof legacy === 'boolean' && !Array.isArray(statusOf(obj).conditions)) {
    return legacy ? health('Healthy', 'policy is ready') : health('Progressing', 'waiting for the policy to be ready');
  }
  return readyHealth(obj, 'the policy');
};
