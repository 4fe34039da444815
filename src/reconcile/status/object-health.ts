import { API_VERSION } from '../../kinds/index.ts';
import type { KubeObject } from '../../cluster/types.ts';
import type { HealthStatus } from '../../cluster/health/index.ts';

export type HealthOf = (live: KubeObject) => { status: HealthStatus; message: string };

/**
 * The health of an object Kradle produced, computed once per answer of the server (an apply, a watch event).
 * Kradle's own custom resources (an Organization's OrgNamespaceBinding, each resource's CR) have no controller
 * besides Kradle: once applied they are as healthy as they will get, whatever status Kradle wrote on them.
 */
export function objectHealth(live: KubeObject, healthOf: HealthOf): { status: HealthStatus; message: string } {
  if (live.apiVersion === API_VERSION) return { status: 'Healthy', message: 'applied' };
  return healthOf(live);
}
