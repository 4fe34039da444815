import test from 'ava';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createConfigWriter } from '../../src/writeback/index.ts';
import { isKradleError } from '../../src/errors/index.ts';
import { createBareClone, runGit, tempDir } from '../support/git-repo.ts';
import { ACTOR, POOLS_FILE, TEAM_FILE, createFixture, pool, simpleValidate, team, type Fixture } from './helpers.ts';

function setup(t: { teardown(fn: () => void): void }, validate = simpleValidate) {
  const fx = createFixture();
  t.teardown(() => fx.remove());
  const writer = createConfigWriter({ gitdir: fx.gitdir, branch: 'main', validate });
  return { fx, writer };
}

const count = (fx: Fixture) => Number(fx.git('rev-list', '--count', 'main'));

test('an edit becomes one commit by the actor that keeps comments and key order', async (t) => {
  const { fx, writer } = setup(t);
  const before = fx.git('rev-parse', 'main');
  const res = await writer.write({ edit: { op: 'upsert', resource: team('platform', 'Platform Eng', { members: ['alice', 'bob'] }) }, actor: ACTOR });
  t.like(res, { branch: 'main', path: 'orgs/acme/teams/platform.yaml', created: false, changed: true });
  t.is(fx.git('rev-parse', 'main'), res.commit);
  t.is(fx.git('rev-parse', 'main^'), before);
  t.is(fx.show('orgs/acme/teams/platform.yaml'), TEAM_FILE.replace('displayName: Platform #', 'displayName: Platform Eng #').trimEnd());
  t.is(fx.git('log', '-1', '--format=%an <%ae>|%cn <%ce>'), 'Ada Writer <ada@acme.example>|Ada Writer <ada@acme.example>');
  t.is(fx.git('diff', '--name-only', before, res.commit), 'orgs/acme/teams/platform.yaml');
  fx.git('fsck', '--strict');
});

test('a multi-document edit changes only its document', async (t) => {
  const { fx, writer } = setup(t);
  const res = await writer.write({ edit: { op: 'upsert', resource: pool('large', 1, 2) }, actor: ACTOR });
  t.is(res.path, 'orgs/acme/runnerpools.yaml');
  t.is(fx.show('orgs/acme/runnerpools.yaml'), POOLS_FILE.replace('warmReplicas: 0 #', 'warmReplicas: 1 #').trimEnd());
});

test('a new resource is committed at its conventional path; a delete removes the file', async (t) => {
  const { fx, writer } = setup(t);
  const created = await writer.write({ edit: { op: 'upsert', resource: team('data', 'Data') }, actor: ACTOR });
  t.like(created, { path: 'orgs/acme/teams/data.yaml', created: true, changed: true });
  t.true(fx.show('orgs/acme/teams/data.yaml').includes('displayName: Data'));
  const deleted = await writer.write({ edit: { op: 'delete', kind: 'Team', org: 'acme', name: 'platform' }, actor: ACTOR });
  t.is(deleted.path, 'orgs/acme/teams/platform.yaml');
  t.is(fx.git('ls-tree', '-r', '--name-only', 'main', 'orgs/acme/teams'), 'orgs/acme/teams/data.yaml');
  const inMulti = await writer.write({ edit: { op: 'delete', kind: 'RunnerPool', org: 'acme', name: 'small' }, actor: ACTOR });
  t.is(inMulti.path, 'orgs/acme/runnerpools.yaml');
  t.false(fx.show('orgs/acme/runnerpools.yaml').includes('small'));
  t.is(count(fx), 4);
});

test('a write that changes nothing makes no commit', async (t) => {
  const { fx, writer } = setup(t);
  const head = fx.git('rev-parse', 'main');
  const res = await writer.write({ edit: { op: 'upsert', resource: team('platform', 'Platform', { members: ['alice', 'bob'] }) }, actor: ACTOR });
  t.like(res, { commit: head, changed: false });
  t.is(fx.git('rev-parse', 'main'), head);
});

test('an invalid write is a 422 with positioned details and leaves the branch alone', async (t) => {
  const { fx, writer } = setup(t);
  const head = fx.git('rev-parse', 'main');
  const err = await t.throwsAsync(writer.write({ edit: { op: 'upsert', resource: team('platform', '') }, actor: ACTOR }));
  t.true(isKradleError(err));
  t.like(err, { status: 422, code: 'VALIDATION_FAILED' });
  t.like((err as unknown as { details: unknown[] }).details[0], { path: 'orgs/acme/teams/platform.yaml', line: 7, field: 'spec.displayName' });
  t.is(fx.git('rev-parse', 'main'), head);
});

test('If-Match: a stale revision is a 409; a change to another resource is not', async (t) => {
  const { fx, writer } = setup(t);
  const read = fx.git('rev-parse', 'main');
  await writer.write({ edit: { op: 'upsert', resource: team('platform', 'Changed by Bob', { members: ['alice', 'bob'] }) }, actor: ACTOR });
  const after = fx.git('rev-parse', 'main');
  const err = await t.throwsAsync(writer.write({ edit: { op: 'upsert', resource: team('platform', 'Mine') }, actor: ACTOR, expectedRevision: read }));
  t.like(err, { status: 409, code: 'CONFLICT' });
  t.is(fx.git('rev-parse', 'main'), after);
  const ok = await writer.write({ edit: { op: 'upsert', resource: pool('small', 2, 4) }, actor: ACTOR, expectedRevision: read.slice(0, 10) });
  t.true(ok.changed);
  const unknown = await t.throwsAsync(writer.write({ edit: { op: 'upsert', resource: pool('small', 3, 4) }, actor: ACTOR, expectedRevision: 'f'.repeat(40) }));
  t.is((unknown as unknown as { status: number }).status, 409);
});

test('20 concurrent writes to different resources land as 20 commits', async (t) => {
  const { fx, writer } = setup(t);
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => writer.write({ edit: { op: 'upsert', resource: team(`team-${i}`, `Team ${i}`) }, actor: ACTOR })));
  t.is(new Set(results.map((r) => r.commit)).size, 20);
  t.is(count(fx), 21);
  const files = fx.git('ls-tree', '-r', '--name-only', 'main', 'orgs/acme/teams').split('\n');
  t.is(files.length, 21);
  for (let i = 0; i < 20; i++) t.true(files.includes(`orgs/acme/teams/team-${i}.yaml`));
});

test('a commit made by someone else while the write validates is built upon, not lost', async (t) => {
  let fx!: Fixture;
  let raced = false;
  const { fx: fixture, writer } = setup(t, async (snapshot) => {
    if (!raced) {
      raced = true;
      // Another process moves main between the edit and the ref update.
      const other = fx.work;
      other.commit({ 'orgs/acme/teams/other.yaml': TEAM_FILE.replace('name: platform', 'name: other') }, 'someone else');
      other.git('push', '-q', fx.gitdir, 'main');
    }
    return simpleValidate(snapshot);
  });
  fx = fixture;
  const res = await writer.write({ edit: { op: 'upsert', resource: pool('small', 3, 4) }, actor: ACTOR });
  t.is(fx.git('rev-parse', 'main'), res.commit);
  t.is(fx.git('log', '-1', '--format=%s', 'main^'), 'someone else');
  t.true(fx.show('orgs/acme/runnerpools.yaml').includes('warmReplicas: 3'));
  t.is(runGit(fx.gitdir, ['cat-file', '-t', 'main:orgs/acme/teams/other.yaml']), 'blob');
});

test('pull-request mode commits onto kradle/write/<id> and leaves the tracked branch alone', async (t) => {
  const { fx, writer } = setup(t);
  const head = fx.git('rev-parse', 'main');
  const res = await writer.write({ edit: { op: 'upsert', resource: team('platform', 'Proposed') }, actor: ACTOR, mode: 'pull-request', id: 'pr-1' });
  t.is(res.branch, 'kradle/write/pr-1');
  t.is(fx.git('rev-parse', 'main'), head);
  t.is(fx.git('rev-parse', 'kradle/write/pr-1'), res.commit);
  t.is(fx.git('rev-parse', 'kradle/write/pr-1^'), head);
  t.true(fx.show('orgs/acme/teams/platform.yaml', 'kradle/write/pr-1').includes('displayName: Proposed'));
  const again = await t.throwsAsync(writer.write({ edit: { op: 'upsert', resource: team('platform', 'Other') }, actor: ACTOR, mode: 'pull-request', id: 'pr-1' }));
  t.is((again as unknown as { status: number }).status, 409);
  const random = await writer.write({ edit: { op: 'upsert', resource: team('platform', 'Other') }, actor: ACTOR, mode: 'pull-request' });
  t.regex(random.branch, /^kradle\/write\/[0-9a-f]{8}$/);
});

test('an actor whose name holds <, > or a newline is written as git writes it: the commit passes git fsck and later writes still read it', async (t) => {
  const { fx, writer } = setup(t);
  const evil = { name: 'Evil <x@y> z', email: 'evil-x-y-z@users.kradle.invalid' };
  const first = await writer.write({ edit: { op: 'upsert', resource: team('one', 'One') }, actor: evil });
  t.is(fx.git('log', '-1', '--format=%an|%ae', first.commit), 'Evil x@y z|evil-x-y-z@users.kradle.invalid');
  const second = await writer.write({ edit: { op: 'upsert', resource: team('two', 'Two') }, actor: { name: 'line1\nline2', email: '<a@b>\n' } });
  t.is(fx.git('log', '-1', '--format=%an|%ae|%cn|%ce', second.commit), 'line1line2|a@b|line1line2|a@b');
  t.true(fx.git('log', '-1', '--format=%b', second.commit).endsWith('Written by Kradle for line1line2 <a@b>.'));
  const third = await writer.write({ edit: { op: 'upsert', resource: team('three', 'Three') }, actor: { name: ' <> ', email: 'who@x.example' } });
  t.is(fx.git('log', '-1', '--format=%an|%ae', third.commit), 'who@x.example|who@x.example');
  fx.git('fsck', '--full', '--strict');
  t.is(count(fx), 4);
});

test('a tracked ref that is no branch (a tag, a detached HEAD) is a 409: no orphan branch of that name is started', async (t) => {
  const fx = createFixture();
  t.teardown(() => fx.remove());
  fx.git('tag', '-a', '-m', 'release', 'v1', 'main');
  const refsBefore = fx.git('for-each-ref', '--format=%(refname) %(objectname)');
  for (const branch of ['v1', 'HEAD']) {
    const writer = createConfigWriter({ gitdir: fx.gitdir, branch, validate: simpleValidate });
    const err = await t.throwsAsync(writer.write({ edit: { op: 'upsert', resource: team('data', 'Data') }, actor: ACTOR }));
    t.true(isKradleError(err) && err.status === 409, branch);
    t.regex(err!.message, /not a branch|detached HEAD/);
  }
  t.is(fx.git('for-each-ref', '--format=%(refname) %(objectname)'), refsBefore);
  // A repository without any commit still gets its first one from a write.
  const empty = createBareClone(fx.gitdir, join(tempDir(), 'empty.git'));
  t.teardown(() => rmSync(dirname(empty), { recursive: true, force: true }));
  runGit(empty, ['update-ref', '-d', 'refs/heads/main']);
  runGit(empty, ['tag', '-d', 'v1']);
  const first = await createConfigWriter({ gitdir: empty, branch: 'main', validate: simpleValidate }).write({ edit: { op: 'upsert', resource: team('data', 'Data') }, actor: ACTOR });
  t.is(runGit(empty, ['ls-tree', '-r', '--name-only', first.commit]), 'orgs/acme/teams/data.yaml');
});

test('a branch with a reflog (as in a non-bare repository) gets an entry for each commit, so main@{1} is the commit before', async (t) => {
  const { fx, writer } = setup(t);
  // A move by the git CLI that starts the branch's reflog.
  const before = fx.git('commit-tree', '-p', 'main', '-m', 'by git', 'main^{tree}');
  fx.git('update-ref', '--create-reflog', '-m', 'by git', 'refs/heads/main', before);
  const res = await writer.write({ edit: { op: 'upsert', resource: team('data', 'Data') }, actor: ACTOR });
  t.is(fx.git('rev-parse', 'main@{0}'), res.commit);
  t.is(fx.git('rev-parse', 'main@{1}'), before);
  t.is(fx.git('reflog', 'show', '-1', '--format=%gs|%gn <%ge>', 'main'), 'commit: Create Team acme/data|Ada Writer <ada@acme.example>');
  // A pull-request branch has no reflog (none is created), and the tracked one gets nothing for it.
  await writer.write({ edit: { op: 'upsert', resource: team('web', 'Web') }, actor: ACTOR, mode: 'pull-request' });
  t.is(fx.git('reflog', 'show', '--format=%H', 'main').split('\n').length, 2);
  t.is(fx.git('rev-parse', 'main@{0}'), res.commit);
  fx.git('fsck', '--full', '--strict');
});
