import test from 'ava';
import { runGit } from '../support/git-repo.ts';
import { acmeRepo, startTestServer, type TestServer } from '../support/test-server.ts';

// A write's answer comes once the server serves its commit: the client that wrote reads its own write, at the
// revision the answer named (or a later one, when others wrote meanwhile).

let s: TestServer;
let bare: string;

test.before(async () => {
  bare = acmeRepo();
  s = await startTestServer({ repo: bare });
  const synced = await s.api('POST', '/api/sync?wait=60');
  if (synced.status !== 200) throw new Error(`no first sync: ${JSON.stringify(synced.body)}`);
});

test.after.always(async () => {
  await s?.server.close();
});

const team = (name: string, displayName = name) => ({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', metadata: { name }, spec: { organizationRef: 'acme', displayName } });

async function read(name: string): Promise<{ status: number; revision?: string; displayName?: string }> {
  const res = await fetch(`${s.url}/api/orgs/acme/resources/Team/${name}`, { headers: { authorization: `Bearer ${s.token}` } });
  const body = (await res.json()) as { spec?: { displayName?: string } };
  return { status: res.status, revision: res.headers.get('etag')?.replace(/^"|\+.*$/g, ''), displayName: body.spec?.displayName };
}

test.serial('a created, updated and deleted resource reads as written right after each answer', async (t) => {
  const created = await s.api('POST', '/api/orgs/acme/resources', team('sre', 'SRE'));
  t.is(created.status, 201, JSON.stringify(created.body));
  t.deepEqual(await read('sre'), { status: 200, revision: created.body.commit, displayName: 'SRE' });

  const updated = await s.api('POST', '/api/orgs/acme/resources', team('sre', 'Site Reliability'), { 'if-match': `"${created.body.commit}"` });
  t.is(updated.status, 200, JSON.stringify(updated.body));
  t.deepEqual(await read('sre'), { status: 200, revision: updated.body.commit, displayName: 'Site Reliability' });

  const deleted = await s.api('DELETE', '/api/orgs/acme/resources/Team/sre', undefined, { 'if-match': `"${updated.body.commit}"` });
  t.is(deleted.status, 200, JSON.stringify(deleted.body));
  t.is((await read('sre')).status, 404);
});

test.serial('a batch write reads back whole, and the ETag read after it guards the next write', async (t) => {
  const batch = await s.api('POST', '/api/orgs/acme/resources/batch', { items: [{ resource: team('dev', 'Dev') }, { resource: team('ops', 'Ops') }] });
  t.is(batch.status, 200, JSON.stringify(batch.body));
  const dev = await read('dev');
  t.deepEqual(dev, { status: 200, revision: batch.body.commit, displayName: 'Dev' });
  t.is((await read('ops')).displayName, 'Ops');
  const next = await s.api('POST', '/api/orgs/acme/resources', team('dev', 'Developers'), { 'if-match': `"${dev.revision}"` });
  t.is(next.status, 200, JSON.stringify(next.body));
});

test.serial('concurrent writers each read their own write, at their commit or a later one on the branch', async (t) => {
  const names = Array.from({ length: 8 }, (_, i) => `crew-${i}`);
  const outcomes = await Promise.all(names.map(async (name) => {
    const res = await s.api('POST', '/api/orgs/acme/resources', team(name, name.toUpperCase()));
    return { name, res, after: await read(name) };
  }));
  for (const { name, res, after } of outcomes) {
    t.is(res.status, 201, JSON.stringify(res.body));
    t.is(after.status, 200, name);
    t.is(after.displayName, name.toUpperCase());
    // The served revision contains the write: it is the write's commit or a descendant of it.
    t.notThrows(() => runGit(bare, ['merge-base', '--is-ancestor', res.body.commit, after.revision!]), name);
  }
});
