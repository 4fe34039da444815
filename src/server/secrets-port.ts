import type { SecretsPort } from '../api/index.ts';
import type { ClusterDriver } from '../cluster/types.ts';
import { WaitingError } from '../errors/index.ts';
import { MANAGED_BY, MANAGED_BY_LABEL, ORG_LABEL, tenantNamespace } from '../kinds/index.ts';

const SECRET_LABEL = 'kradle.a5c.ai/secret';

/**
 * Secret values live only in Kubernetes Secrets of the org's tenant namespace, written through the
 * cluster driver. Without a cluster (plan-only) there is nowhere safe to put a value, so every call is refused.
 */
export function createKubeSecretsPort(driver: ClusterDriver, namespaceOf: (org: string) => string = tenantNamespace): SecretsPort {
  const ensureLive = () => {
    if (driver.mode !== 'live') {
      throw new WaitingError('no cluster is configured (plan-only mode): secret values are only ever stored in Kubernetes Secrets');
    }
  };
  const ref = (org: string, name: string) => ({ apiVersion: 'v1', kind: 'Secret', namespace: namespaceOf(org), name });
  const decode = (data: unknown): Record<string, string> =>
    Object.fromEntries(Object.entries((data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));

  return {
    async list(org) {
      ensureLive();
      const items = await driver.list('v1', 'Secret', { namespace: namespaceOf(org), labelSelector: `${SECRET_LABEL}=true` });
      return items.map((s) => ({ name: s.metadata.name, keys: Object.keys((s.data as object | undefined) ?? {}).sort() }));
    },
    async put(org, name, data) {
      ensureLive();
      await driver.apply(
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, namespace: namespaceOf(org), labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [ORG_LABEL]: org, [SECRET_LABEL]: 'true' } },
          type: 'Opaque',
          data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')])),
        },
        { force: true },
      );
    },
    async delete(org, name) {
      ensureLive();
      return (await driver.delete(ref(org, name))) === 'deleted';
    },
    async read(org, name, key) {
      ensureLive();
      const secret = await driver.get(ref(org, name));
      return secret ? decode(secret.data)[key] : undefined;
    },
  };
}
