// manifests/deploy and the Dockerfile: they parse and reference each other (the ClusterRole: rbac.test.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parseAllDocuments } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOY = `${ROOT}manifests/deploy/`;

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

const files = readdirSync(DEPLOY).filter((f) => /\.ya?ml$/.test(f)).sort();
const parsed = files.map((file) => ({ file, text: readFileSync(`${DEPLOY}${file}`, 'utf8'), docs: parseAllDocuments(readFileSync(`${DEPLOY}${file}`, 'utf8')) }));
const objects: Obj[] = parsed.flatMap((p) => (Array.isArray(p.docs) ? p.docs : [p.docs]).map((d) => d.toJS() as Obj).filter(Boolean));
const one = (kind: string): Obj => {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]!;
};
const dockerfile = readFileSync(`${ROOT}Dockerfile`, 'utf8');
const instructions = (name: string) => dockerfile.split('\n').filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());

const deployment = one('Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const portOf = (p: string | number) => (typeof p === 'number' ? p : container.ports.find((c: any) => c.name === p)?.containerPort);

test('every file parses, each object is named, namespaced objects live in kradle-system', (t) => {
  t.true(files.length >= 5);
  for (const p of parsed) {
    const docs = Array.isArray(p.docs) ? p.docs : [p.docs];
    t.deepEqual(docs.flatMap((d) => d.errors.map((e) => e.message)), [], p.file);
  }
  const cluster = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);
  for (const o of objects) {
    t.truthy(o.apiVersion && o.kind && o.metadata?.name, JSON.stringify(o));
    t.is(o.metadata.namespace, cluster.has(o.kind) ? undefined : 'kradle-system', `${o.kind}/${o.metadata.name}`);
  }
  // kubectl apply -f DIR reads files in name order: the namespace must come first.
  t.is(objects[0]!.kind, 'Namespace');
  t.is(objects[0]!.metadata.name, 'kradle-system');
});

test('the Deployment runs as the ServiceAccount the ClusterRoleBinding binds to the ClusterRole', (t) => {
  const sa = one('ServiceAccount');
  const binding = one('ClusterRoleBinding');
  t.is(pod.serviceAccountName, sa.metadata.name);
  t.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: one('ClusterRole').metadata.name });
  t.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
});

test('selectors match the pod labels; probes and the Service reach the container port', (t) => {
  const labels = deployment.spec.template.metadata.labels;
  const service = one('Service');
  for (const selector of [deployment.spec.selector.matchLabels, service.spec.selector]) {
    t.true(Object.keys(selector).length > 0);
    for (const [k, v] of Object.entries(selector)) t.is(labels[k], v, k);
  }
  const port = container.ports[0].containerPort;
  t.is(portOf(service.spec.ports[0].targetPort), port);
  t.is(portOf(container.readinessProbe.httpGet.port), port);
  t.is(container.readinessProbe.httpGet.path, '/readyz');
  t.is(portOf(container.livenessProbe.httpGet.port), port);
  t.is(container.livenessProbe.httpGet.path, '/healthz');
  t.deepEqual(container.args.slice(0, 1), ['serve']);
  const flag = container.args.indexOf('--port');
  if (flag >= 0) t.is(Number(container.args[flag + 1]), port);
  // serve binds 127.0.0.1 by default: a Service could not reach it.
  t.is(container.args[container.args.indexOf('--host') + 1], '0.0.0.0');
  t.regex(dockerfile, /^ENV .*\bKRADLE_HOST=0\.0\.0\.0\b/m);
});

test('the Secret and ConfigMap the Deployment reads are defined or documented; no secret value is shipped', (t) => {
  const env: any[] = container.env;
  const refs = env.map((e) => e.valueFrom).filter(Boolean);
  t.true(refs.some((r) => r.secretKeyRef) && refs.some((r) => r.configMapKeyRef));
  t.deepEqual(env.find((e) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef, { name: 'kradle-database', key: 'url' });
  t.is(env.find((e) => e.name === 'KRADLE_REPO').valueFrom.configMapKeyRef.name, 'kradle-config');
  t.false(objects.some((o) => o.kind === 'Secret'));
  const deploymentText = parsed.find((p) => p.text.includes('kind: Deployment'))!.text;
  const documented = [...deploymentText.matchAll(/^#\s+kubectl -n kradle-system create secret generic (\S+)(.*)$/gm)]
    .flatMap(([, name, rest]) => [...rest!.matchAll(/--from-literal=([\w.-]+)=/g)].map(([, key]) => `${name}/${key}`));
  for (const { secretKeyRef: s } of refs.filter((r) => r.secretKeyRef)) {
    t.true(documented.includes(`${s.name}/${s.key}`), `Secret ${s.name} key ${s.key} is documented`);
  }
  t.falsy(env.find((e) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef.optional, 'the database URL is required');
  for (const { configMapKeyRef: c } of refs.filter((r) => r.configMapKeyRef)) {
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === c.name);
    t.truthy(cm?.data?.[c.key], `ConfigMap ${c.name} has key ${c.key}`);
  }
});

test('non-root everywhere: pod and container security context, read-only root with writable .kradle and /tmp', (t) => {
  t.true(pod.securityContext.runAsNonRoot);
  t.true(pod.securityContext.runAsUser > 0);
  t.false(container.securityContext.allowPrivilegeEscalation);
  t.true(container.securityContext.readOnlyRootFilesystem);
  const mounts = new Map(container.volumeMounts.map((m: any) => [m.mountPath, m.name]));
  const workdir = instructions('WORKDIR').at(-1);
  for (const path of [`${workdir}/.kradle`, '/tmp']) {
    const volume = pod.volumes.find((v: any) => v.name === mounts.get(path));
    t.truthy(volume?.emptyDir, `${path} is an emptyDir`);
  }
});

test('the Dockerfile: multi-stage, npm ci without dev deps, non-root USER, the Service port exposed, health check on /healthz', (t) => {
  t.true(instructions('FROM').length >= 2);
  t.is(instructions('FROM').at(-1)!.split(' ')[0], 'node:20-slim');
  t.regex(dockerfile, /RUN npm ci --omit=dev/);
  const user = instructions('USER').at(-1)!.split(':')[0]!;
  t.true(user === 'node' || Number(user) > 0, `USER ${user}`);
  if (user !== 'node') t.is(Number(user), pod.securityContext.runAsUser);
  const exposed = instructions('EXPOSE').map((p) => Number(p.split('/')[0]));
  t.deepEqual(exposed, [portOf(one('Service').spec.ports[0].targetPort)]);
  t.deepEqual(JSON.parse(instructions('ENTRYPOINT')[0]!), ['node', 'bin/kradle.js']);
  t.deepEqual(JSON.parse(instructions('CMD')[0]!), ['serve']);
  t.regex(dockerfile, /HEALTHCHECK[^\n]*\\?\n?[^\n]*CMD \["node"[^\n]*127\.0\.0\.1:3080\/healthz/);
  // Every directory the app reads at run time is copied in, and the ignore file does not exclude it.
  const ignored = readFileSync(`${ROOT}.dockerignore`, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const dir of ['bin', 'src', 'schemas']) {
    t.true(instructions('COPY').some((c) => c.startsWith(`${dir} `)), `COPY ${dir}`);
    t.false(ignored.includes(dir), `${dir} is not ignored`);
  }
});
