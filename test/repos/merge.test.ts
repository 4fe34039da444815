import test from 'ava';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRepoStorage } from '../../src/repos/index.ts';
import { client, makeToken, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSecrets, fakeSync } from '../support/api-fakes.ts';
import { createBareClone, createTestRepo, runGit, tempDir } from '../support/git-repo.ts';
import { startGitHttpServer } from '../support/git-http-server.ts';
import { testDrivers, type TestDriver } from '../support/store.ts';

for (const d of testDrivers(test)) suite(d);

/** A bare repository with `main` and a `feat` branch; `diverge` adds a commit on main after feat branched. */
function makeRepo(opts: { diverge?: Record<string, string>; feat?: Record<string, string> } = {}) {
  const work = createTestRepo();
  work.commit({ 'README.md': 'hello\n', 'app.txt': 'one\n' }, 'initial');
  work.git('checkout', '-q', '-b', 'feat');
  work.commit(opts.feat ?? { 'feature.txt': 'new feature\n' }, 'add the feature');
  work.git('checkout', '-q', 'main');
  if (opts.diverge) work.commit(opts.diverge, 'main moves on');
  const bare = createBareClone(work.dir);
  return { work, bare, rev: (ref: string) => runGit(bare, ['rev-parse', ref]) };
}

function suite(d: TestDriver) {
  async function setup(repoSpec: Record<string, unknown>, extra: ReturnType<typeof doc>[] = []) {
    const store = await d.store();
    const org = `m${Math.random().toString(36).slice(2, 8)}`;
    const config = fakeConfig([
      doc('Organization', org, org, { displayName: org, slug: org }),
      doc('Repository', org, 'web', { visibility: 'private', ...repoSpec }),
      ...extra,
    ]);
    const secrets = fakeSecrets();
    const repoStorage = createRepoStorage({ baseDir: tempDir(), cacheDir: tempDir(), secrets: secrets.read });
    const api = await startApi({ store, config, sync: fakeSync(), secrets, repoStorage });
    const c = client(api.url, await makeToken(api.app, org, 'writer', 'alice'));
    const base = `/api/orgs/${org}/pullrequests`;
    const open = async (name: string, spec: Record<string, unknown> = {}) =>
      (await c.post(base, { name, repository: 'web', title: `PR ${name}`, sourceRef: 'feat', targetRef: 'main', ...spec })).body;
    return { api, store, org, c, base, open, secrets };
  }

  test(`${d.name}: a pull request whose target did not move is merged by fast-forward and records the commit`, async (t) => {
    const repo = makeRepo();
    const { api, c, base, open } = await setup({ git: { url: repo.bare } });
    await open('pr-ff');
    const feat = repo.rev('feat');
    const merged = await c.post(`${base}/pr-ff/merge`);
    t.is(merged.status, 200, JSON.stringify(merged.body));
    t.like(merged.body.status, { phase: 'Merged', mergeCommit: feat, mergeMethod: 'fast-forward', sourceCommit: feat, mergedBy: 'alice' });
    t.is(repo.rev('main'), feat);
    t.false(existsSync(join(repo.bare, 'index')), 'a bare repository gets no index file');
    t.is((await c.post(`${base}/pr-ff/merge`)).status, 409);
    await api.close();
  });

  test(`${d.name}: diverged branches get a merge commit with both parents; squash makes one commit on the target`, async (t) => {
    const repo = makeRepo({ diverge: { 'app.txt': 'two\n' } });
    const { api, c, base, open } = await setup({ git: { url: repo.bare } });
    await open('pr-merge');
    const [main0, feat] = [repo.rev('main'), repo.rev('feat')];
    const merged = await c.post(`${base}/pr-merge/merge`, { method: 'merge' });
    t.is(merged.status, 200, JSON.stringify(merged.body));
    t.is(merged.body.status.mergeMethod, 'merge-commit');
    t.is(repo.rev('main'), merged.body.status.mergeCommit);
    t.is(runGit(repo.bare, ['rev-parse', 'main^1']), main0);
    t.is(runGit(repo.bare, ['rev-parse', 'main^2']), feat);
    t.is(runGit(repo.bare, ['show', 'main:app.txt']), 'two');
    t.is(runGit(repo.bare, ['show', 'main:feature.txt']), 'new feature');

    const other = makeRepo({ diverge: { 'app.txt': 'three\n' } });
    const s = await setup({ git: { url: other.bare } });
    await s.open('pr-squash');
    const before = other.rev('main');
    const squashed = await s.c.post(`${s.base}/pr-squash/merge`, { method: 'squash', message: 'Feature, squashed' });
    t.is(squashed.status, 200, JSON.stringify(squashed.body));
    t.is(squashed.body.status.mergeMethod, 'squash');
    t.is(runGit(other.bare, ['rev-list', '--parents', '-n', '1', 'main']), `${other.rev('main')} ${before}`);
    t.is(runGit(other.bare, ['log', '-1', '--format=%s', 'main']), 'Feature, squashed');
    t.is(runGit(other.bare, ['show', 'main:feature.txt']), 'new feature');
    t.is((await s.c.post(`${s.base}/pr-squash/merge`, { method: 'squash' })).status, 409, 'already merged');
    await s.api.close();
    await api.close();
  });

  test(`${d.name}: a conflicting merge is a 409 naming the paths, and nothing moves`, async (t) => {
    const repo = makeRepo({ diverge: { 'app.txt': 'main side\n' }, feat: { 'app.txt': 'feature side\n' } });
    const { api, store, org, c, base, open } = await setup({ git: { url: repo.bare } });
    await open('pr-conflict');
    const [main0, feat0] = [repo.rev('main'), repo.rev('feat')];
    const refused = await c.post(`${base}/pr-conflict/merge`);
    t.is(refused.status, 409);
    t.deepEqual(refused.body.error.details.map((x: any) => [x.code, x.field]), [['MERGE_CONFLICT', 'app.txt']]);
    t.is(repo.rev('main'), main0);
    t.is(repo.rev('feat'), feat0);
    const pr = await store.resources.get('PullRequest', `kradle-org-${org}`, 'pr-conflict');
    t.is(pr!.status.phase, 'Open');
    t.is(pr!.status.mergeCommit, undefined);
    t.is((await c.post(`${base}/pr-conflict/merge`, { method: 'rebase' })).status, 422);
    await api.close();
  });

  test(`${d.name}: a Repository without Git storage refuses the merge with 409 and stays Open; gates still come first`, async (t) => {
    const { api, store, org, c, base, open } = await setup({});
    await open('pr-nowhere');
    const refused = await c.post(`${base}/pr-nowhere/merge`);
    t.is(refused.status, 409);
    t.is(refused.body.error.details[0].code, 'NO_GIT_STORAGE');
    t.is((await store.resources.get('PullRequest', `kradle-org-${org}`, 'pr-nowhere'))!.status.phase, 'Open');

    const repo = makeRepo();
    const withRule = await (async () => {
      const store2 = await d.store();
      const org2 = `g${Math.random().toString(36).slice(2, 8)}`;
      const config = fakeConfig([
        doc('Organization', org2, org2, { displayName: org2, slug: org2 }),
        doc('Repository', org2, 'web', { visibility: 'private', git: { url: repo.bare } }),
        doc('BranchProtection', org2, 'main-rule', { refs: ['main'], repository: 'web', requiredApprovals: 1 }),
      ]);
      const a = await startApi({ store: store2, config, sync: fakeSync(), repoStorage: createRepoStorage({ baseDir: tempDir(), cacheDir: tempDir() }) });
      return { a, org2, c2: client(a.url, await makeToken(a.app, org2, 'writer', 'alice')) };
    })();
    const b2 = `/api/orgs/${withRule.org2}/pullrequests`;
    await withRule.c2.post(b2, { name: 'pr-gated', repository: 'web', title: 'gated', sourceRef: 'feat', targetRef: 'main' });
    const main0 = repo.rev('main');
    const g = await withRule.c2.post(`${b2}/pr-gated/merge`);
    t.is(g.status, 409);
    t.is(g.body.error.details[0].code, 'APPROVALS_REQUIRED');
    t.is(repo.rev('main'), main0);
    await withRule.a.close();
    await api.close();
  });

  test(`${d.name}: a Repository served over smart HTTP is fetched, merged and pushed with credentials from its Secret`, async (t) => {
    const root = tempDir();
    mkdirSync(root, { recursive: true });
    const repo = makeRepo({ diverge: { 'app.txt': 'remote main\n' } });
    const served = createBareClone(repo.work.dir, join(root, 'web.git'));
    runGit(served, ['config', 'http.receivepack', 'true']);
    const server = await startGitHttpServer({ root, token: 'git-token-123' });
    const { api, c, base, open, secrets, org } = await setup({ git: { url: `${server.url}/web.git`, credentialRef: { name: 'web-git' } } });
    await open('pr-remote');
    const noSecret = await c.post(`${base}/pr-remote/merge`);
    t.is(noSecret.status, 503);
    t.false(JSON.stringify(noSecret.body).includes('git-token-123'));
    await secrets.put(org, 'web-git', { token: 'git-token-123' });
    const merged = await c.post(`${base}/pr-remote/merge`);
    t.is(merged.status, 200, JSON.stringify(merged.body));
    t.is(merged.body.status.mergeMethod, 'merge-commit');
    t.is(runGit(served, ['rev-parse', 'main']), merged.body.status.mergeCommit);
    t.is(runGit(served, ['show', 'main:feature.txt']), 'new feature');
    t.true(server.requests.some((r) => r.method === 'POST' && r.path.includes('git-receive-pack')));
    await server.close();
    await api.close();
  });
}
