import { join } from 'node:path';
import test from 'ava';
import { writerPortFrom } from '../../src/api/index.ts';
import { createConfigWriter } from '../../src/writeback/index.ts';
import { createTestRepo } from '../support/git-repo.ts';
import { testDrivers } from '../support/store.ts';
import { client, makeToken, startApi } from '../support/api-client.ts';
import { fakeConfig, fakeSync } from '../support/api-fakes.ts';

const [pglite] = testDrivers(test);
const REPO = `apiVersion: kradle.a5c.ai/v1alpha1
kind: Repository
metadata:
  name: web # the storefront
spec:
  organizationRef: acme
  visibility: private
`;

/** The API on a real config repo through writeback's ConfigWriter (validation stubbed: loader not wired here). */
async function setup() {
  const repo = createTestRepo();
  repo.commit({ 'orgs/acme/repositories/web.yaml': REPO }, 'seed');
  const writer = writerPortFrom(createConfigWriter({ gitdir: join(repo.dir, '.git'), branch: 'main', validate: async () => ({ errors: [], warnings: [] }) }));
  const api = await startApi({ store: await pglite!.store(), config: fakeConfig([]), sync: fakeSync(), writer });
  const c = client(api.url, await makeToken(api.app, 'acme', 'writer', 'Alice Example'));
  return { repo, api, c };
}

test('a config write through the API is a commit by the token subject that keeps comments; a stale If-Match makes none', async (t) => {
  const { repo, api, c } = await setup();
  const seed = repo.head();
  const res = await c.post('/api/orgs/acme/resources', { kind: 'Repository', metadata: { name: 'web' }, spec: { visibility: 'public' } }, { 'if-match': `"${seed}"` });
  t.is(res.status, 200);
  t.is(res.body.commit, repo.git('rev-parse', 'main'));
  t.is(repo.git('log', '-1', '--format=%an', 'main'), 'Alice Example');
  const text = repo.git('show', 'main:orgs/acme/repositories/web.yaml');
  t.regex(text, /# the storefront/);
  t.regex(text, /visibility: public/);
  const stale = await c.post('/api/orgs/acme/resources', { kind: 'Repository', metadata: { name: 'web' }, spec: { visibility: 'internal' } }, { 'if-match': `"${seed}"` });
  t.is(stale.status, 409);
  t.is(repo.git('rev-parse', 'main'), res.body.commit);
  await api.close();
  repo.remove();
});

test('concurrent writes of different resources all land as commits; pull-request mode leaves main alone', async (t) => {
  const { repo, api, c } = await setup();
  const before = Number(repo.git('rev-list', '--count', 'main'));
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => c.post('/api/orgs/acme/repositories', { metadata: { name: `svc-${i}` }, spec: { visibility: 'private' } })));
  t.deepEqual(results.map((r) => r.status), Array(8).fill(201));
  t.is(Number(repo.git('rev-list', '--count', 'main')), before + 8);
  const files = repo.git('ls-tree', '-r', '--name-only', 'main');
  for (let i = 0; i < 8; i++) t.true(files.includes(`svc-${i}.yaml`));
  const tip = repo.git('rev-parse', 'main');
  const pr = await c.post('/api/orgs/acme/resources?mode=pull-request', { kind: 'Repository', metadata: { name: 'via-pr' }, spec: { visibility: 'public' } });
  t.regex(pr.body.branch, /^kradle\/write\//);
  t.is(repo.git('rev-parse', 'main'), tip);
  t.is(repo.git('rev-parse', pr.body.branch), pr.body.commit);
  await api.close();
  repo.remove();
});

test('a delete is decided at the branch tip: a resource committed but not yet loaded is deleted, an absent one is a 404', async (t) => {
  // The fake config never loads a commit, as the live one has not yet when a delete follows its create at once.
  const { repo, api, c } = await setup();
  const created = await c.post('/api/orgs/acme/repositories', { metadata: { name: 'fresh' }, spec: { visibility: 'private' } });
  t.is(created.status, 201);
  const deleted = await c.del('/api/orgs/acme/repositories/fresh');
  t.is(deleted.status, 200, JSON.stringify(deleted.body));
  t.is(deleted.body.commit, repo.git('rev-parse', 'main'));
  t.false(repo.git('ls-tree', '-r', '--name-only', 'main').includes('fresh.yaml'));
  const seeded = await c.del('/api/orgs/acme/resources/Repository/web');
  t.is(seeded.status, 200, JSON.stringify(seeded.body));
  const tip = repo.git('rev-parse', 'main');
  const absent = await c.del('/api/orgs/acme/resources/Repository/never');
  t.is(absent.status, 404);
  t.is(absent.body.error.code, 'NOT_FOUND');
  t.is(repo.git('rev-parse', 'main'), tip, 'no commit');
  await api.close();
  repo.remove();
});
