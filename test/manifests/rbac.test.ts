// The ClusterRole in manifests/deploy grants exactly what the code calls: every object a config repo renders to
// (applied, watched for drift, pruned) and every object the rest of the code touches, found by reading src/;
// a missing grant breaks a feature in a real cluster, an unused one is privilege nobody needs.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parseAllDocuments } from 'yaml';
import { renderObjects } from '../../src/cluster/index.ts';
import { createLoader } from '../../src/loader/index.ts';
import { fixtureRepo } from '../loader/fixture-repo.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ALL = ['get', 'list', 'watch', 'create', 'patch', 'delete'];

/**
 * Objects the code applies, reads or deletes outside a render, by the file that names them. An apply is
 * create + patch (the API server authorizes an apply that creates as a create); a watch is list + watch.
 */
const CALLS: { site: string; apiVersion: string; kind: string; verbs: string[] }[] = [
  { site: 'src/server/secrets-port.ts', apiVersion: 'v1', kind: 'Secret', verbs: ['list', 'create', 'patch', 'delete', 'get'] },
  { site: 'src/agents/job-spec.ts', apiVersion: 'v1', kind: 'Secret', verbs: ['create', 'patch'] },
  { site: 'src/agents/job-spec.ts', apiVersion: 'v1', kind: 'ConfigMap', verbs: ['create', 'patch'] },
  { site: 'src/agents/job-spec.ts', apiVersion: 'batch/v1', kind: 'Job', verbs: ['create', 'patch'] },
  { site: 'src/agents/job-controller.ts', apiVersion: 'batch/v1', kind: 'Job', verbs: ['get', 'list', 'watch'] },
  { site: 'src/agents/workspaces/pool.ts', apiVersion: 'v1', kind: 'PersistentVolumeClaim', verbs: ['create', 'patch'] },
  { site: 'src/agents/workspaces/transitions.ts', apiVersion: 'v1', kind: 'PersistentVolumeClaim', verbs: ['get', 'delete'] },
  { site: 'src/server/inference-port.ts', apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', verbs: ['get'] },
  // The namespace drift repair re-creates a hand-deleted tenant namespace.
  { site: 'src/reconcile/sync/drift-watcher.ts', apiVersion: 'v1', kind: 'Namespace', verbs: ['create', 'patch'] },
];

/** `bind` lets an AgentRoleBinding bind a (Cluster)Role Kradle does not hold itself; no render shows a verb for it. */
const BIND = [['rbac.authorization.k8s.io', 'roles'], ['rbac.authorization.k8s.io', 'clusterroles']];

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
const rbac = parseAllDocuments(readFileSync(`${ROOT}manifests/deploy/20-rbac.yaml`, 'utf8')).map((d) => d.toJS());
const rules: Rule[] = rbac.find((o) => o?.kind === 'ClusterRole').rules;

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');
const plural = (kind: string) => {
  const k = kind.toLowerCase();
  return k.endsWith('y') ? `${k.slice(0, -1)}ies` : k.endsWith('s') ? `${k}es` : `${k}s`;
};
const key = (group: string, resource: string) => `${group || 'core'}/${resource}`;

function allowed(group: string, resource: string, verb: string): boolean {
  return rules.some((r) => r.apiGroups.includes(group) && (r.resources.includes(resource) || r.resources.includes('*')) && r.verbs.includes(verb));
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every native object named by a literal apiVersion and kind, or listed and watched by one, outside cluster/. */
function namedInCode(): { site: string; apiVersion: string; kind: string }[] {
  const found: { site: string; apiVersion: string; kind: string }[] = [];
  for (const file of sources(`${ROOT}src`)) {
    const site = relative(ROOT, file);
    if (site.startsWith('src/cluster/')) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/apiVersion:\s*'([^']+)',\s*kind:\s*'([^']+)'|driver\.(?:list|watch)\(\s*'([^']+)',\s*'([^']+)'/g)) {
      const [apiVersion, kind] = m[1] ? [m[1], m[2]!] : [m[3]!, m[4]!];
      if (groupOf(apiVersion) !== 'kradle.a5c.ai') found.push({ site, apiVersion, kind });
    }
  }
  return found;
}

/** Resource -> verbs the code needs: a render of the sample (with the projections it leaves out) and CALLS. */
async function needed(): Promise<Map<string, Set<string>>> {
  const repo = fixtureRepo('config-repo');
  try {
    // The sample leaves out two projections: an approved exception and a cluster-scoped role binding.
    const exception = readFileSync(`${repo.dir}/orgs/acme/policyexceptionrequests/legacy-batch.yaml`, 'utf8');
    repo.commit({
      'orgs/acme/policyexceptionrequests/legacy-batch.yaml': exception.replace('spec:\n', 'spec:\n  approved: true\n'),
      'orgs/acme/agentrolebindings/cluster-view.yaml': 'apiVersion: kradle.a5c.ai/v1alpha1\nkind: AgentRoleBinding\nmetadata:\n  name: cluster-view\nspec:\n  organizationRef: acme\n  subject: reviewer-bot\n  roleRef: { name: kradle-viewer }\n  scope: cluster\n',
    }, 'every projection');
    const loaded = await createLoader().load(await repo.snapshot());
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => `${e.path}:${e.line}: ${e.message}`).join('\n'));
    const out = new Map<string, Set<string>>();
    const add = (apiVersion: string, kind: string, verbs: string[]) => {
      const k = key(groupOf(apiVersion), plural(kind));
      out.set(k, new Set([...(out.get(k) ?? []), ...verbs]));
    };
    for (const o of renderObjects(loaded.state, { now: new Date('2029-01-01T00:00:00Z') })) {
      // A CRD is never pruned: that would delete every object of its kind.
      add(o.apiVersion, o.kind, o.kind === 'CustomResourceDefinition' ? ALL.filter((v) => v !== 'delete') : ALL);
    }
    for (const c of CALLS) add(c.apiVersion, c.kind, c.verbs);
    return out;
  } finally {
    repo.remove();
  }
}

test('every native object the code names outside a render is listed in CALLS, and every entry of CALLS is still in its file', (t) => {
  const found = namedInCode();
  const listed = (f: { site: string; apiVersion: string; kind: string }) => CALLS.some((c) => c.site === f.site && c.apiVersion === f.apiVersion && c.kind === f.kind);
  for (const f of found) t.true(listed(f), `${f.site} names ${f.apiVersion} ${f.kind}: add it to CALLS with the verbs it uses`);
  for (const c of CALLS) t.true(found.some((f) => f.site === c.site && f.apiVersion === c.apiVersion && f.kind === c.kind), `${c.site} no longer names ${c.apiVersion} ${c.kind}`);
});

test('the ClusterRole grants every verb the code uses on every resource', async (t) => {
  const need = await needed();
  t.true(need.size > 10, [...need.keys()].join(', '));
  for (const [k, verbs] of need) {
    const [group, resource] = k.split('/') as [string, string];
    for (const verb of verbs) t.true(allowed(group === 'core' ? '' : group, resource, verb), `${verb} ${k}`);
  }
});

test('the ClusterRole grants nothing the code does not use: no update, no Leases, no CRD delete, * only for Kradle kinds', async (t) => {
  const need = await needed();
  for (const rule of rules) {
    for (const group of rule.apiGroups) {
      for (const resource of rule.resources) {
        if (resource === '*') {
          t.is(group, 'kradle.a5c.ai', 'a wildcard only over Kradle\'s own kinds');
          continue;
        }
        for (const verb of rule.verbs) {
          const ok = verb === 'bind' ? BIND.some(([g, r]) => g === group && r === resource) : need.get(key(group, resource))?.has(verb);
          t.true(ok, `${verb} ${key(group, resource)} is granted but never used`);
        }
      }
    }
  }
  t.false(allowed('coordination.k8s.io', 'leases', 'get'), 'leadership is a Postgres advisory lock');
  t.false(allowed('apiextensions.k8s.io', 'customresourcedefinitions', 'delete'));
  t.false(rules.some((r) => r.verbs.includes('update') || r.verbs.includes('*')), 'nothing uses PUT');
});
