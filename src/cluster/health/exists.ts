import { health, type HealthCheck } from './types.ts';

/** Kinds with no status to wait for (ServiceAccount, RBAC, ConfigMap, Secret, ...): existing is healthy. */
export const existsHealth: HealthCheck = (obj) => health('Healthy', `${obj.kind} exists`);
