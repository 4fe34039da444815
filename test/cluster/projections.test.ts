import test from 'ava';
import { createHash } from 'node:crypto';
import {
  API_VERSION,
  DNS1123_LABEL,
  MANAGED_BY_LABEL,
  ORG_LABEL,
  OWNER_LABEL,
  PLATFORM_NAMESPACE,
  kindDefinition,
  resourceKey,
  tenantNamespace,
} from '../../src/kinds/index.ts';
import type { DesiredResource, DesiredState } from '../../src/loader/types.ts';
import { sortForApply, sortForPrune } from '../../src/cluster/apply-order.ts';
import {
  HASH_ANNOTATION,
  SOURCE_ANNOTATION,
  nextProjectionChange,
  ownerLabelValue,
  projectResource,
  projectState,
} from '../../src/cluster/projections/index.ts';
import type { KubeObject } from '../../src/cluster/types.ts';

// DesiredResources built by hand, the way the loader normalizes them (namespace resolved, org label set).
function res(kind: string, name: string, spec: Record<string, unknown>, org: string | null = 'acme'): DesiredResource {
  const def = kindDefinition(kind)!;
  const namespace = def.platformScoped || org === null ? PLATFORM_NAMESPACE : tenantNamespace(org);
  const labels: Record<string, string> = org ? { [ORG_LABEL]: org } : {};
  const object = {
    apiVersion: API_VERSION,
    kind,
    metadata: { name, namespace, labels },
    spec: org && def.orgScoped ? { organizationRef: org, ...spec } : spec,
  };
  const id = { kind, namespace, name };
  const hash = createHash('sha256').update(JSON.stringify(object)).digest('hex');
  return { id, key: resourceKey(id), org, object, hash, source: { path: `${kind}/${name}.yaml`, line: 1, column: 1, index: 0 } };
}

function stateOf(list: DesiredResource[]): DesiredState {
  const resources = new Map(list.map((r) => [r.key, r]));
  return {
    revision: 'r1',
    resources,
    get: (kind, org, name) => list.find((r) => r.id.kind === kind && r.org === org && r.id.name === name),
    byKind: (kind) => list.filter((r) => r.id.kind === kind),
    byOrg: (org) => list.filter((r) => r.org === org),
    orgs: () => list.filter((r) => r.id.kind === 'Organization').map((r) => r.org!),
  };
}

const NOW = new Date('2030-01-01T00:00:00Z');
const NS = tenantNamespace('acme');
const org = res('Organization', 'acme', { displayName: 'Acme', namespaceName: NS });
const asa = res('AgentServiceAccount', 'reviewer', { namespace: NS, serviceAccountName: 'reviewer-sa' });
const template = res('PolicyTemplate', 'no-latest', {
  displayName: 'No latest tag',
  targetKinds: ['Pod'],
  kyverno: { rules: [{ name: 'no-latest', match: { any: [{ resources: { kinds: ['Pod'] } }] } }] },
}, null);
const binding = (mode: string) => res('PolicyBinding', 'no-latest', { templateRef: 'no-latest', mode });
const exception = (expiresAt: string, approved = true) =>
  res('PolicyExceptionRequest', 'hotfix', { policyRef: 'no-latest', justification: 'incident', expiresAt, approved });
const base = [org, asa, template, binding('enforce')];
const project = (r: DesiredResource, extra: DesiredResource[] = []) => projectResource(r, stateOf([...base, ...extra, r]), { now: NOW });
const natives = (objs: KubeObject[]) => objs.slice(1).map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace ?? '-'}/${o.metadata.name}`);

// One case per kind with a native meaning: the objects each one produces besides its custom resource.
const cases: Array<[string, DesiredResource, string[]]> = [
  ['Organization', org, [`v1 Namespace -/${NS}`, `${API_VERSION} OrgNamespaceBinding ${PLATFORM_NAMESPACE}/acme`]],
  ['AgentServiceAccount', asa, [`v1 ServiceAccount ${NS}/reviewer-sa`]],
  ['AgentRoleBinding (namespace)', res('AgentRoleBinding', 'ro', { subject: 'reviewer', roleRef: 'view', scope: 'namespace' }), [
    `rbac.authorization.k8s.io/v1 RoleBinding ${NS}/kradle-ro`,
  ]],
  ['AgentRoleBinding (cluster)', res('AgentRoleBinding', 'ro', { subject: 'reviewer', roleRef: 'view', scope: 'cluster' }), [
    'rbac.authorization.k8s.io/v1 ClusterRoleBinding -/kradle-acme-ro',
  ]],
  ['AgentSecretGrant', res('AgentSecretGrant', 'gh', { subject: 'reviewer', secretRef: 'gh-token', purpose: 'push' }), [
    `rbac.authorization.k8s.io/v1 Role ${NS}/kradle-secret-gh`,
    `rbac.authorization.k8s.io/v1 RoleBinding ${NS}/kradle-secret-gh`,
  ]],
  ['AgentConfigGrant', res('AgentConfigGrant', 'gh', { subject: 'reviewer', configMapRef: { name: 'settings' }, purpose: 'read' }), [
    `rbac.authorization.k8s.io/v1 Role ${NS}/kradle-config-gh`,
    `rbac.authorization.k8s.io/v1 RoleBinding ${NS}/kradle-config-gh`,
  ]],
  ['PolicyBinding', binding('audit'), [`kyverno.io/v1 Policy ${NS}/kradle-no-latest`]],
  ['PolicyExceptionRequest', exception('2030-02-01T00:00:00Z'), [`kyverno.io/v2 PolicyException ${NS}/kradle-hotfix`]],
  ['RunnerPool', res('RunnerPool', 'ci', { warmReplicas: 2, maxReplicas: 5 }), [`apps/v1 Deployment ${NS}/kradle-runner-ci`]],
  ['KradleWorkspace', res('KradleWorkspace', 'ws', { repository: 'app', volumeSpec: { size: '5Gi' } }), [
    `v1 PersistentVolumeClaim ${NS}/kradle-ws-ws`,
  ]],
  ['KradleInferenceService', res('KradleInferenceService', 'iris', {
    predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 's3://m/iris' } },
  }), [`serving.kserve.io/v1beta1 InferenceService ${NS}/iris`]],
  ['KradleServingRuntime', res('KradleServingRuntime', 'sk', { supportedModelFormats: [{ name: 'sklearn' }], containers: [{ image: 'sk:1' }] }), [
    `serving.kserve.io/v1alpha1 ServingRuntime ${NS}/sk`,
  ]],
  ['Team (no native meaning)', res('Team', 'core', { displayName: 'Core' }), []],
];

for (const [title, r, expected] of cases) {
  test(`projection: ${title}`, (t) => {
    const objs = project(r);
    const cr = objs[0]!;
    t.is(cr.apiVersion, API_VERSION);
    t.is(cr.kind, r.id.kind);
    t.is(cr.metadata.name, r.id.name);
    t.is(cr.metadata.namespace, kindDefinition(r.id.kind)!.platformScoped ? PLATFORM_NAMESPACE : r.id.namespace);
    t.deepEqual(cr.spec, r.object.spec);
    t.false('status' in cr);
    t.deepEqual(natives(objs), expected);
  });
}

test('every projected object carries the owner labels and the source annotations', (t) => {
  for (const [title, r] of cases) {
    for (const obj of project(r)) {
      const labels = obj.metadata.labels ?? {};
      t.is(labels[MANAGED_BY_LABEL], 'kradle', title);
      t.is(labels[OWNER_LABEL], `${r.id.kind}.${r.id.name}`, title);
      if (r.org) t.is(labels[ORG_LABEL], 'acme', title);
      else t.false(ORG_LABEL in labels, `${title}: a platform document has no org`);
      t.is(obj.metadata.annotations?.[SOURCE_ANNOTATION], r.key, title);
      t.is(obj.metadata.annotations?.[HASH_ANNOTATION], r.hash, title);
    }
  }
});

test('owner label values stay valid label values for long names', (t) => {
  const long = 'a'.repeat(63);
  const value = ownerLabelValue('ExternalProviderCapabilityManifest', long);
  t.true(value.length <= 63);
  t.regex(value, /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/);
  t.not(value, ownerLabelValue('ExternalProviderCapabilityManifest', `${long.slice(0, 62)}b`));
  t.is(ownerLabelValue('RunnerPool', 'ci'), 'RunnerPool.ci');
});

test('grants allow get on exactly the granted object, by resourceNames, and carry no value', (t) => {
  const secret = project(res('AgentSecretGrant', 'gh', { subject: 'reviewer', secretRef: { name: 'gh-token', key: 'token' }, purpose: 'push', keys: ['token'] }));
  const role = secret.find((o) => o.kind === 'Role')!;
  t.deepEqual(role.rules, [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['gh-token'], verbs: ['get'] }]);
  const rb = secret.find((o) => o.kind === 'RoleBinding')!;
  t.deepEqual(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
  t.deepEqual(rb.subjects, [{ kind: 'ServiceAccount', name: 'reviewer-sa', namespace: NS }]);
  for (const o of secret.slice(1)) t.false('data' in o || 'stringData' in o);
  const config = project(res('AgentConfigGrant', 'cfg', { subject: 'someone-sa', configMapRef: 'settings', purpose: 'read' }));
  t.deepEqual(config.find((o) => o.kind === 'Role')!.rules, [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'], verbs: ['get'] }]);
  t.deepEqual(config.find((o) => o.kind === 'RoleBinding')!.subjects, [{ kind: 'ServiceAccount', name: 'someone-sa', namespace: NS }]);
});

const modes: Array<[string, string]> = [['audit', 'Audit'], ['Audit', 'Audit'], ['enforce', 'Enforce'], ['Enforce', 'Enforce']];
for (const [mode, action] of modes) {
  test(`policy binding mode ${mode} -> ${action}, rules from the template`, (t) => {
    const policy = project(binding(mode)).find((o) => o.kind === 'Policy')!;
    const spec = policy.spec as Record<string, unknown>;
    t.is(spec.validationFailureAction, action);
    t.deepEqual(spec.rules, (template.object.spec.kyverno as { rules: unknown }).rules);
    t.is(policy.metadata.annotations?.['kradle.a5c.ai/template-hash'], template.hash);
  });
}

test('a template holding one rule body becomes one rule matching its targetKinds', (t) => {
  const validate = { message: 'pin tags', pattern: { spec: { containers: [{ image: '!*:latest' }] } } };
  const single = res('PolicyTemplate', 'pin', { displayName: 'Pin', targetKinds: ['Pod', 'Deployment'], kyverno: { validate } }, null);
  const policy = project(res('PolicyBinding', 'pin', { templateRef: { name: 'pin' }, mode: 'audit' }), [single]).find((o) => o.kind === 'Policy')!;
  t.deepEqual(policy.spec, {
    rules: [{ name: 'pin', match: { any: [{ resources: { kinds: ['Pod', 'Deployment'] } }] }, validate }],
    validationFailureAction: 'Audit',
  });
  const whole = res('PolicyTemplate', 'doc', { displayName: 'Doc', targetKinds: ['Pod'], kyverno: { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', spec: { background: true, rules: [] } } }, null);
  const fromDoc = project(res('PolicyBinding', 'doc', { templateRef: 'doc', mode: 'Enforce' }), [whole]).find((o) => o.kind === 'Policy')!;
  t.deepEqual(fromDoc.spec, { background: true, rules: [], validationFailureAction: 'Enforce' });
});

test('an approved exception becomes a PolicyException until expiresAt; expired or unapproved, none', (t) => {
  const live = project(exception('2030-01-01T00:00:01Z')).find((o) => o.kind === 'PolicyException')!;
  t.is(live.metadata.annotations?.['kradle.a5c.ai/expires-at'], '2030-01-01T00:00:01.000Z');
  t.deepEqual(live.spec, {
    exceptions: [{ policyName: `${NS}/kradle-no-latest`, ruleNames: ['*'] }],
    match: { any: [{ resources: { kinds: ['Pod'], namespaces: [NS] } }] },
  });
  t.deepEqual(natives(project(exception('2030-01-01T00:00:00Z'))), [], 'expired at exactly now');
  t.deepEqual(natives(project(exception('2029-12-31T00:00:00Z'))), []);
  t.deepEqual(natives(project(exception('2030-02-01T00:00:00Z', false))), [], 'not approved');
  t.deepEqual(natives(project(exception('not a date'))), [], 'unparsable expiry fails closed');
  const s = stateOf([...base, exception('2030-03-01T00:00:00Z')]);
  t.deepEqual(nextProjectionChange(s, NOW), new Date('2030-03-01T00:00:00Z'));
  t.is(nextProjectionChange(s, new Date('2031-01-01T00:00:00Z')), undefined);
});

test('runner pool: replicas from warmReplicas, image from spec or the default, pool labels', (t) => {
  const [dep] = project(res('RunnerPool', 'ci', { warmReplicas: 3, maxReplicas: 6, image: 'runner:2', runtimeIdentity: 'reviewer' })).slice(1);
  const spec = dep!.spec as any;
  t.is(spec.replicas, 3);
  t.deepEqual(spec.selector.matchLabels, { 'kradle.a5c.ai/runner-pool': 'ci' });
  t.is(spec.template.metadata.labels['kradle.a5c.ai/runner-pool'], 'ci');
  t.is(spec.template.spec.containers[0].image, 'runner:2');
  t.is(spec.template.spec.serviceAccountName, 'reviewer-sa');
  const [other] = project(res('RunnerPool', 'idle', { warmReplicas: 0, maxReplicas: 1 })).slice(1);
  t.is((other!.spec as any).replicas, 0);
  t.is((other!.spec as any).template.spec.containers[0].image, 'ghcr.io/a5c-ai/kradle-runner:0.1.0');
});

test('workspace PVC from volumeSpec, with defaults', (t) => {
  const [pvc] = project(res('KradleWorkspace', 'ws', { repository: 'app', volumeSpec: { size: '20Gi', storageClassName: 'fast', accessModes: ['ReadWriteMany'] } })).slice(1);
  t.deepEqual(pvc!.spec, { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '20Gi' } }, storageClassName: 'fast' });
  const [plain] = project(res('KradleWorkspace', 'ws2', { repository: 'app', volumeSpec: {} })).slice(1);
  t.deepEqual(plain!.spec, { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } });
});

test('KServe objects: resources move into the model, protocol defaults to v2, the first container is the model server', (t) => {
  const [isvc] = project(res('KradleInferenceService', 'iris', {
    predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 's3://m/iris', runtime: 'sk' }, resources: { limits: { cpu: '1' } } },
  })).slice(1);
  t.deepEqual((isvc!.spec as any).predictor.model, {
    protocolVersion: 'v2', modelFormat: { name: 'sklearn' }, storageUri: 's3://m/iris', runtime: 'sk', resources: { limits: { cpu: '1' } },
  });
  const [rt] = project(res('KradleServingRuntime', 'sk', { supportedModelFormats: [{ name: 'sklearn' }], containers: [{ image: 'sk:1' }] })).slice(1);
  t.deepEqual((rt!.spec as any).containers, [{ name: 'kserve-container', image: 'sk:1' }]);
});

test('a declared OrgNamespaceBinding replaces the generated one; the org namespace is projected once', (t) => {
  const declared = res('OrgNamespaceBinding', 'acme-binding', { namespace: NS });
  const objs = projectState(stateOf([org, declared]), { now: NOW });
  t.deepEqual(objs.map((o) => `${o.kind} ${o.metadata.namespace ?? '-'}/${o.metadata.name}`), [
    `Namespace -/${NS}`,
    `Organization ${PLATFORM_NAMESPACE}/acme`,
    `OrgNamespaceBinding ${PLATFORM_NAMESPACE}/acme-binding`,
  ]);
});

test('projectState is deterministic and in apply order; prune order is its reverse', (t) => {
  const unique = new Map(cases.map(([, r]) => [r.key, r]));
  const all = [...new Map([...base, ...unique.values()].map((r) => [r.key, r])).values()];
  const a = projectState(stateOf(all), { now: NOW });
  const b = projectState(stateOf([...all].reverse()), { now: NOW });
  t.deepEqual(a, b);
  const kinds = a.map((o) => o.kind);
  t.is(kinds[0], 'Namespace');
  t.true(kinds.lastIndexOf('RoleBinding') < kinds.indexOf('PersistentVolumeClaim'));
  t.true(kinds.lastIndexOf('ServiceAccount') < kinds.indexOf('Deployment'));
  t.true(kinds.indexOf('ServingRuntime') < kinds.indexOf('InferenceService'));
  t.true(kinds.indexOf('Organization') < kinds.indexOf('Team'));
  t.deepEqual(sortForPrune(a), [...sortForApply(a)].reverse());
  for (const o of a) if (o.metadata.namespace) t.regex(o.metadata.namespace, DNS1123_LABEL);
});
