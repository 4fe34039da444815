import type { KubeObject } from '../types.ts';

/** A closed set, as in gitops-engine. */
export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Missing' | 'Unknown' | 'Suspended';

export interface Health {
  status: HealthStatus;
  message: string;
}

export type HealthCheck = (obj: KubeObject) => Health;

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export const health = (status: HealthStatus, message: string): Health => ({ status, message });

type Loose = Record<string, unknown>;

export const specOf = (obj: KubeObject): Loose => (obj.spec && typeof obj.spec === 'object' ? (obj.spec as Loose) : {});
export const statusOf = (obj: KubeObject): Loose => (obj.status && typeof obj.status === 'object' ? (obj.status as Loose) : {});

export function conditionOf(obj: KubeObject, type: string): Condition | undefined {
  const list = statusOf(obj).conditions;
  if (!Array.isArray(list)) return undefined;
  return list.find((c): c is Condition => !!c && typeof c === 'object' && (c as Condition).type === type);
}

/** Health from a Ready condition, shared by kinds whose controllers report one. */
export function readyHealth(obj: KubeObject, what: string): Health {
  const ready = conditionOf(obj, 'Ready');
  if (!ready || ready.status === 'Unknown') return health('Progressing', ready?.message || `waiting for ${what} to report Ready`);
  if (ready.status === 'True') return health('Healthy', ready.message || `${what} is ready`);
  return health('Degraded', ready.message || ready.reason || `${what} is not ready`);
}
