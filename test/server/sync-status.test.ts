// GET /api/sync as a dashboard or `kradle status` reads it after a pass nobody asked for through the API.
import test from 'ava';
import { createTestRepo } from '../support/git-repo.ts';
import { orgDocs } from '../support/sync-harness.ts';
import { startTestServer } from '../support/test-server.ts';

test('a pass started by a push reports its own run as lastRun, also when the revision is refused', async (t) => {
  const repo = createTestRepo();
  const first = repo.commit(orgDocs('acme'), 'add acme');
  const { server, api } = await startTestServer({ repo: repo.dir });
  t.teardown(async () => {
    await server.close();
    repo.remove();
  });
  const status = async (until: (s: any) => boolean) => {
    for (let i = 0; i < 300; i++) {
      const { body } = await api('GET', '/api/sync');
      if (until(body)) return body;
      await new Promise((r) => setTimeout(r, 50));
    }
    return (await api('GET', '/api/sync')).body;
  };
  t.is((await status((s) => s.lastRun?.revision === first)).lastRun?.revision, first);

  // No POST /api/sync: the push is noticed by watching the branch's ref, as a `git push` to the server is.
  const bad = repo.commit({ 'orgs/acme/teams/platform.yaml': orgDocs('acme')['orgs/acme/teams/platform.yaml']!.replace('displayName: Platform\n', '') }, 'drop a required field');
  const refused = await status((s) => s.state === 'ValidationFailed' && s.lastRun?.revision === bad);
  t.is(refused.state, 'ValidationFailed');
  t.like(refused.lastRun, { revision: bad, outcome: 'ValidationFailed', errorCount: 1 });
});
