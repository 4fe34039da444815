import type { InferencePort } from '../api/index.ts';
import type { ClusterDriver } from '../cluster/types.ts';


/**
 * KServe endpoints read from the cluster: the InferenceService a KradleInferenceService projects to has
 * the same name in the org's namespace, and KServe writes its URL to status.url once it is ready.
 */
import { tenantNamespace } from '../kinds/index.ts';

/** `namespaceOf` is the org's namespace per the desired state (tenantNamespaceOf); the conventional one by default. */
export function createInferencePort(driver: ClusterDriver, opts: { timeoutMs?: number; namespaceOf?: (org: string) => string } = {}): InferencePort {
  const namespaceOf = opts.namespaceOf ?? tenantNamespace;
  return {
    timeoutMs: opts.timeoutMs,
    async endpoint(org, name) {
      if (driver.mode !== 'live') return 'plan-only';
      const isvc = await driver.get({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', namespace: namespaceOf(org), name });
      if (!isvc) return undefined;
      const status = (isvc.status ?? {}) as { url?: unknown; conditions?: { type?: string; status?: string }[] };
      const url = typeof status.url === 'string' && status.url !== '' ? status.url : undefined;
      const ready = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      return { url, ready };
    },
  };
}
