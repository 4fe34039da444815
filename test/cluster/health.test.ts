import test from 'ava';
import { API_VERSION } from '../../src/kinds/index.ts';
import { createLiveDriver, healthOf, type HealthStatus, type KubeObject } from '../../src/cluster/index.ts';
import { startKubeApiServer } from '../support/kube-api-server/index.ts';

const obj = (apiVersion: string, kind: string, rest: Record<string, unknown> = {}, generation = 1): KubeObject => ({
  apiVersion, kind, metadata: { name: 'x', namespace: 'n', generation }, ...rest,
});
const cond = (type: string, status: string, extra: Record<string, string> = {}) => ({ type, status, ...extra });
const dep = (spec: Record<string, unknown>, status: Record<string, unknown>, generation = 1) => obj('apps/v1', 'Deployment', { spec, status }, generation);

const cases: [string, KubeObject | undefined, HealthStatus][] = [
  ['absent object', undefined, 'Missing'],
  ['namespace active', obj('v1', 'Namespace', { status: { phase: 'Active' } }), 'Healthy'],
  ['namespace terminating', obj('v1', 'Namespace', { status: { phase: 'Terminating' } }), 'Progressing'],
  ['deployment available', dep({ replicas: 2 }, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }), 'Healthy'],
  ['deployment not yet observed', dep({ replicas: 2 }, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }, 2), 'Progressing'],
  ['deployment short of available', dep({ replicas: 2 }, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }), 'Progressing'],
  ['deployment old replicas left', dep({ replicas: 2 }, { observedGeneration: 1, replicas: 3, updatedReplicas: 2, availableReplicas: 2 }), 'Progressing'],
  ['deployment deadline exceeded', dep({}, { observedGeneration: 1, conditions: [cond('Progressing', 'False', { reason: 'ProgressDeadlineExceeded' })] }), 'Degraded'],
  ['deployment paused', dep({ paused: true }, {}), 'Suspended'],
  ['pvc bound', obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Bound' } }), 'Healthy'],
  ['pvc pending', obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Pending' } }), 'Progressing'],
  ['pvc lost', obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Lost' } }), 'Degraded'],
  ['job complete', obj('batch/v1', 'Job', { status: { conditions: [cond('Complete', 'True')] } }), 'Healthy'],
  ['job failed', obj('batch/v1', 'Job', { status: { conditions: [cond('Failed', 'True', { message: 'BackoffLimitExceeded' })] } }), 'Degraded'],
  ['job running', obj('batch/v1', 'Job', { status: { active: 1 } }), 'Progressing'],
  ['job suspended', obj('batch/v1', 'Job', { spec: { suspend: true } }), 'Suspended'],
  ['service account', obj('v1', 'ServiceAccount'), 'Healthy'],
  ['role binding', obj('rbac.authorization.k8s.io/v1', 'RoleBinding'), 'Healthy'],
  ['secret', obj('v1', 'Secret'), 'Healthy'],
  ['kyverno policy ready', obj('kyverno.io/v1', 'Policy', { status: { conditions: [cond('Ready', 'True')] } }), 'Healthy'],
  ['kyverno policy not ready', obj('kyverno.io/v1', 'Policy', { status: { conditions: [cond('Ready', 'False', { message: 'bad rule' })] } }), 'Degraded'],
  ['kyverno policy no status yet', obj('kyverno.io/v1', 'Policy'), 'Progressing'],
  ['inference service ready', obj('serving.kserve.io/v1beta1', 'InferenceService', { status: { conditions: [cond('Ready', 'True')] } }), 'Healthy'],
  ['inference service failing', obj('serving.kserve.io/v1beta1', 'InferenceService', { status: { conditions: [cond('Ready', 'False')] } }), 'Degraded'],
  ['kradle CR ready', obj(API_VERSION, 'Team', { status: { observedGeneration: 1, conditions: [cond('Ready', 'True')] } }), 'Healthy'],
  ['kradle CR stalled', obj(API_VERSION, 'Team', { status: { conditions: [cond('Ready', 'False'), cond('Stalled', 'True')] } }), 'Degraded'],
  ['kradle CR reconciling', obj(API_VERSION, 'Team', { status: { conditions: [cond('Reconciling', 'True')] } }), 'Progressing'],
  ['kradle CR stale generation', obj(API_VERSION, 'Team', { status: { observedGeneration: 1, conditions: [cond('Ready', 'True')] } }, 2), 'Progressing'],
  ['unknown kind', obj('example.com/v1', 'Widget'), 'Unknown'],
];

for (const [name, o, expected] of cases) {
  test(`health: ${name} -> ${expected}`, (t) => {
    const h = healthOf(o);
    t.is(h.status, expected);
    t.true(h.message.length > 0);
  });
}

test('health of live objects follows the status their controllers write', async (t) => {
  const server = await startKubeApiServer();
  try {
    const d = createLiveDriver({ kubeConfig: server.kubeConfig });
    const { live } = await d.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'r', namespace: 'default' }, spec: { replicas: 1 } });
    t.is(healthOf(live).status, 'Progressing');
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'r' };
    server.setStatus(ref, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 });
    t.is(healthOf(await d.get(ref)).status, 'Healthy');
    t.is(healthOf(await d.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' })).status, 'Healthy');
    t.is(healthOf(await d.get({ ...ref, name: 'gone' })).status, 'Missing');
  } finally {
    await server.stop();
  }
});
