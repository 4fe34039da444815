// health/ owns the health of one live object, one file per native kind (as gitops-engine's pkg/health).
// It must not fetch anything: it reads only the object it is given.
import { API_VERSION } from '../../kinds/index.ts';
import type { KubeObject } from '../types.ts';
import { deploymentHealth } from './deployment.ts';
import { existsHealth } from './exists.ts';
import { inferenceServiceHealth } from './inference-service.ts';
import { jobHealth } from './job.ts';
import { kradleResourceHealth } from './kradle-resource.ts';
import { kyvernoPolicyHealth } from './kyverno-policy.ts';
import { namespaceHealth } from './namespace.ts';
import { persistentVolumeClaimHealth } from './persistent-volume-claim.ts';
import { health, readyHealth, type Health, type HealthCheck } from './types.ts';

export type { Health, HealthStatus } from './types.ts';

const CHECKS: Record<string, HealthCheck> = {
  'v1/Namespace': namespaceHealth,
  'apps/v1/Deployment': deploymentHealth,
  'v1/PersistentVolumeClaim': persistentVolumeClaimHealth,
  'batch/v1/Job': jobHealth,
  'v1/ServiceAccount': existsHealth,
  'v1/ConfigMap': existsHealth,
  'v1/Secret': existsHealth,
  'rbac.authorization.k8s.io/v1/Role': existsHealth,
  'rbac.authorization.k8s.io/v1/RoleBinding': existsHealth,
  'rbac.authorization.k8s.io/v1/ClusterRole': existsHealth,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': existsHealth,
  'coordination.k8s.io/v1/Lease': existsHealth,
  'kyverno.io/v1/Policy': kyvernoPolicyHealth,
  'kyverno.io/v1/ClusterPolicy': kyvernoPolicyHealth,
  'kyverno.io/v2/PolicyException': existsHealth,
  'kyverno.io/v2beta1/PolicyException': existsHealth,
  'serving.kserve.io/v1beta1/InferenceService': inferenceServiceHealth,
  'serving.kserve.io/v1alpha1/ServingRuntime': existsHealth,
  'apiextensions.k8s.io/v1/CustomResourceDefinition': (obj) => {
    const h = readyHealth({ ...obj, status: { conditions: ((obj.status as { conditions?: { type: string }[] })?.conditions ?? []).map((c) => (c.type === 'Established' ? { ...c, type: 'Ready' } : c)) } }, 'the CRD');
    return h.status === 'Healthy' ? health('Healthy', 'CRD is established') : h;
  },
};

/** The health of a live object; an absent object (undefined) is Missing. */
export function healthOf(obj: KubeObject | undefined): Health {
  if (!obj) return health('Missing', 'object does not exist in the cluster');
  const check = CHECKS[`${obj.apiVersion}/${obj.kind}`];
  if (check) return check(obj);
  if (obj.apiVersion === API_VERSION) return kradleResourceHealth(obj);
  return health('Unknown', `no health check for ${obj.apiVersion} ${obj.kind}`);
}
