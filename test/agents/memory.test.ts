import test from 'ava';
import { join } from 'node:path';
import { createMemoryService, type MemoryService } from '../../src/agents/index.ts';
import { isKradleError, type KradleError } from '../../src/errors/index.ts';
import { tenantNamespace } from '../../src/kinds/index.ts';
import { createTestRepo, type TestRepo } from '../support/git-repo.ts';
import { testDrivers, uniqueName } from '../support/store.ts';
import { loadState, MEMORY_ONTOLOGY as ONTOLOGY, memoryDocs, orgFiles } from './helpers.ts';

const [driver] = testDrivers(test);


async function setup(): Promise<{ org: string; repo: TestRepo; memory: MemoryService }> {
  const org = uniqueName('mem');
  const repo = createTestRepo();
  repo.commit({
    '.company-brain/ontology/schema.yaml': ONTOLOGY,
    '.company-brain/graph/services.yaml': 'nodes:\n  - { id: api, kind: service, owner: platform }\nedges: []\n',
    '.company-brain/runbooks/deploy.md': '# Deploy\nRun the pipeline, then watch the rollout.\n',
  }, 'seed memory');
  const state = await loadState(orgFiles(org, {
    extra: memoryDocs(org),
  }));
  const store = await driver!.store();
  const memory = createMemoryService({ store, desired: () => state, repos: () => ({ gitdir: join(repo.dir, '.git') }) });
  t_cleanup.push(() => repo.remove());
  return { org, repo, memory };
}
const t_cleanup: (() => void)[] = [];
test.after.always(() => t_cleanup.forEach((f) => f()));

const runbook = (text: string) => [{ path: '.company-brain/runbooks/rollback.md', content: text }];

test('a memory update becomes one commit on kradle/agent-memory/<run> with base, branch, commit and digest', async (t) => {
  const { org, repo, memory } = await setup();
  const main = repo.head();
  const u = await memory.proposeUpdate(org, { sourceRun: 'run-1', changes: runbook('# Rollback\nUse the previous image tag.\n') });
  t.is(u.status.baseCommit as string, main);
  t.is(u.status.branch, 'kradle/agent-memory/run-1');
  t.is(repo.git('rev-parse', 'kradle/agent-memory/run-1'), u.status.commit as string);
  t.is(repo.git('rev-parse', `${u.status.commit as string}^`), main);
  t.is(repo.git('show', `${u.status.commit as string}:.company-brain/runbooks/rollback.md`), '# Rollback\nUse the previous image tag.');
  t.is(repo.git('rev-parse', 'main'), main, 'the default branch is left alone');
  t.regex(String(u.spec.diffDigest), /^[0-9a-f]{64}$/);
  t.is(repo.git('ls-tree', '-r', '--name-only', String(u.status.commit)).split('\n').length, 4);
});

test('the same memory diff twice makes one commit and returns the first update', async (t) => {
  const { org, repo, memory } = await setup();
  const changes = runbook('# Rollback\nStep one.\n');
  const [a, b] = await Promise.all([
    memory.proposeUpdate(org, { sourceRun: 'run-2', changes }),
    memory.proposeUpdate(org, { sourceRun: 'run-2', changes }),
  ]);
  const c = await memory.proposeUpdate(org, { sourceRun: 'run-2', changes });
  const settled = [a, b, c].filter((u) => u.status.commit);
  t.true(settled.length >= 1);
  t.is(c.metadata.name, a.metadata.name);
  t.is(c.status.commit, settled[0]!.status.commit);
  t.is(repo.git('rev-list', '--count', 'main..kradle/agent-memory/run-2'), '1');
  const store = await driver!.store();
  const all = await store.resources.list('AgentMemoryUpdate', { namespace: tenantNamespace(org) });
  t.is(all.items.length, 1);
});

test('a memory update with a secret is refused naming path, line and rule, value masked; nothing is committed', async (t) => {
  const { org, repo, memory } = await setup();
  const secret = 'sk-ant-abcdefghijklmnopqrstuvwxyz0123';
  const err = await t.throwsAsync(memory.proposeUpdate(org, { sourceRun: 'run-3', changes: runbook(`# Notes\nok\napi_key = ${secret}\n`) }));
  t.true(isKradleError(err));
  const k = err as KradleError;
  t.is(k.status, 422);
  t.true(k.details.some((d) => d.path === '.company-brain/runbooks/rollback.md' && d.line === 3 && d.code === 'SECRET_DETECTED'));
  t.false(JSON.stringify(k.details).includes(secret), 'the value never appears');
  t.false(k.message.includes(secret));
  t.throws(() => repo.git('rev-parse', '--verify', '-q', 'kradle/agent-memory/run-3'));
});

const ontologyCases: [string, string, RegExp][] = [
  ['a node without its kind', 'nodes:\n  - { id: db }\n', /ONTOLOGY_REQUIRED_FIELD/],
  ['a node kind outside the vocabulary', 'nodes:\n  - { id: db, kind: database }\n', /ONTOLOGY_VOCABULARY/],
  ['an edge kind not allowed', '{"nodes":[{"id":"db","kind":"service"}],"edges":[{"from":"db","to":"api","kind":"likes"}]}', /ONTOLOGY_EDGE_KIND/],
  ['broken YAML', 'nodes: [\n', /MEMORY_PARSE/],
];

for (const [title, content, code] of ontologyCases) {
  test(`ontology check refuses ${title}`, async (t) => {
    const { org, memory } = await setup();
    const path = content.startsWith('{') ? '.company-brain/graph/db.json' : '.company-brain/graph/db.yaml';
    const err = (await t.throwsAsync(memory.proposeUpdate(org, { sourceRun: 'run-4', changes: [{ path, content }] }))) as KradleError;
    t.is(err.status, 422);
    t.regex(err.details.map((d) => d.code).join(','), code);
  });
}

test('paths outside .company-brain/{ontology,graph,runbooks,decisions}/ are refused', async (t) => {
  const { org, memory } = await setup();
  for (const path of ['README.md', '.company-brain/secrets/x.md', '.company-brain/runbooks/../../x.md']) {
    const err = (await t.throwsAsync(memory.proposeUpdate(org, { sourceRun: 'run-5', changes: [{ path, content: 'hello' }] }))) as KradleError;
    t.is(err.details[0]?.code, 'MEMORY_PATH', path);
  }
});

test('a valid graph update passes the ontology', async (t) => {
  const { org, repo, memory } = await setup();
  const content = 'nodes:\n  - { id: db, kind: service }\nedges:\n  - { from: api, to: db, kind: depends-on }\n';
  const u = await memory.proposeUpdate(org, { sourceRun: 'run-6', changes: [{ path: '.company-brain/graph/db.yaml', content }] });
  t.is(repo.git('show', `${u.status.commit as string}:.company-brain/graph/db.yaml`), content.trimEnd());
});

test('a query at a pinned snapshot does not see later commits; grep and graph modes; records snapshot and query', async (t) => {
  const { org, repo, memory } = await setup();
  const first = await memory.query(org, { query: 'rollout', mode: 'grep', requester: 'alice' });
  t.is(first.commit, repo.head());
  t.deepEqual(first.results.map((r) => r.kind === 'line' && `${r.path}:${r.line}`), ['.company-brain/runbooks/deploy.md:2']);
  repo.commit({ '.company-brain/runbooks/canary.md': 'Watch the rollout of the canary.\n' }, 'later');
  const pinned = await memory.query(org, { query: 'rollout', mode: 'grep', snapshot: first.snapshot, requester: 'alice' });
  t.is(pinned.results.length, 1);
  t.is(pinned.commit, first.commit);
  const fresh = await memory.query(org, { query: 'rollout', mode: 'grep', requester: 'alice' });
  t.is(fresh.results.length, 2);
  const graph = await memory.query(org, { query: 'platform', mode: 'graph', kinds: ['graph'], requester: 'bob' });
  t.is(graph.results.length, 1);
  t.like(graph.results[0], { kind: 'node', node: { id: 'api', kind: 'service' } });
  const store = await driver!.store();
  const ns = tenantNamespace(org);
  const snap = await store.resources.get('AgentMemorySnapshot', ns, first.snapshot);
  t.is(snap?.spec.resolvedCommit, first.commit);
  const queries = (await store.resources.list('AgentMemoryQuery', { namespace: ns })).items;
  t.is(queries.length, 4);
  t.true(queries.every((q) => typeof q.status.resultsDigest === 'string'));
});

// A run name becomes branch kradle/agent-memory/<run>: `x.lock` is where git locks branch `x`, so a later run `x` could
// not commit (git: "Unable to create x.lock") and Kradle's stale-lock sweep would delete run x.lock's memory.
for (const run of ['x.lock', 'a..b']) {
  test(`a memory update from run ${run}, a name git refuses as a branch, is a 422 and writes no ref`, async (t) => {
    const { org, repo, memory } = await setup();
    const refsBefore = repo.git('for-each-ref', '--format=%(refname)');
    const err = await t.throwsAsync(memory.proposeUpdate(org, { sourceRun: run, changes: runbook('# Notes\n') }));
    t.true(isKradleError(err));
    t.is((err as KradleError).status, 422);
    t.true((err as KradleError).details.some((d) => d.code === 'BAD_SOURCE_RUN' && d.field === '/sourceRun'));
    t.is(repo.git('for-each-ref', '--format=%(refname)'), refsBefore);
    const store = await driver!.store();
    t.is((await store.resources.list('AgentMemoryUpdate', { namespace: tenantNamespace(org) })).items.length, 0);
  });
}

for (const ref of ['main.lock', 'main@{1}', 'refs/heads/../../config']) {
  test(`a memory query at ref ${ref} is a 400 naming git's rule, not a missing ref`, async (t) => {
    const { org, memory } = await setup();
    const err = await t.throwsAsync(memory.query(org, { query: 'rollout', ref, requester: 'alice' }));
    t.true(isKradleError(err));
    t.is((err as KradleError).status, 400);
    t.true((err as KradleError).details.some((d) => d.code === 'INVALID_REF'));
  });
}
