import test from 'ava';
import { dirname } from 'node:path';
import { startGitHttpServer } from '../support/git-http-server.ts';
import { createBareClone, createTestRepo, runGit } from '../support/git-repo.ts';
import { orgDocs } from '../support/sync-harness.ts';
import { startTestServer } from '../support/test-server.ts';

test('a remote config repo unreachable at start-up: serve starts, /readyz says so, and it syncs once the remote is back', async (t) => {
  const work = createTestRepo();
  t.teardown(() => work.remove());
  const commit = work.commit(orgDocs('acme'), 'add acme');
  const bare = createBareClone(work.dir);
  runGit(bare, ['config', 'http.receivepack', 'true']);
  // Learn a free port, then leave it closed: the remote is down when Kradle starts.
  const probe = await startGitHttpServer({ root: dirname(bare) });
  const port = Number(new URL(probe.url).port);
  await probe.close();

  const { server, api } = await startTestServer({ repo: `http://127.0.0.1:${port}/repo.git` });
  t.teardown(() => server.close());

  let ready = await api('GET', '/readyz');
  for (let i = 0; i < 100 && ready.body?.checks?.source?.ok !== false; i++) ready = await api('GET', '/readyz');
  t.is(ready.status, 503);
  t.false(ready.body.checks.source.ok, 'the source is reported down');

  const remote = await startGitHttpServer({ root: dirname(bare), port });
  t.teardown(() => remote.close());
  let synced: string | undefined;
  for (let i = 0; i < 100 && synced !== commit; i++) {
    await api('POST', '/api/sync?wait=60');
    synced = (await api('GET', '/api/sync')).body?.syncedRevision;
  }
  t.is(synced, commit, 'converges once the remote answers');
  t.is((await api('GET', '/readyz')).status, 200);

  const created = await api('POST', '/api/orgs/acme/resources', {
    apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', metadata: { name: 'sre' }, spec: { organizationRef: 'acme', displayName: 'SRE' },
  });
  t.is(created.status, 201, JSON.stringify(created.body));
  t.is(created.body.branch, 'main', 'the remote default branch, not HEAD');
  t.is(runGit(bare, ['rev-parse', 'main']).trim(), created.body.commit, 'the write was pushed to the remote');
});
