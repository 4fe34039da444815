import test from 'ava';
import { cpSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLoader, type DesiredState } from '../../src/loader/index.ts';
import type { Snapshot } from '../../src/source/types.ts';
import { createConfigWriter } from '../../src/writeback/index.ts';
import { createBareClone, createTestRepo, runGit } from '../support/git-repo.ts';
import { ACTOR, team } from './helpers.ts';

const FIXTURE = fileURLToPath(new URL('../../fixtures/config-repo/', import.meta.url));

test('with the real loader: a valid edit commits, an invalid one is a 422 positioned at its file', async (t) => {
  const work = createTestRepo();
  cpSync(FIXTURE, work.dir, { recursive: true });
  work.commit({}, 'sample config');
  const gitdir = createBareClone(work.dir);
  t.teardown(() => {
    work.remove();
    rmSync(dirname(gitdir), { recursive: true, force: true });
  });
  const loader = createLoader();
  let last: DesiredState | undefined;
  const validate = async (snapshot: Snapshot) => {
    const res = await loader.load(snapshot);
    if (res.ok) last = res.state;
    return { errors: res.ok ? [] : res.errors, warnings: res.warnings };
  };
  const writer = createConfigWriter({ gitdir, branch: 'main', validate });

  const ok = await writer.write({ edit: { op: 'upsert', resource: team('platform', 'Platform Engineering', { members: ['alice', 'bob'], maintainers: ['alice'] }) }, actor: ACTOR });
  t.is(ok.path, 'orgs/acme/teams/platform.yaml');
  t.is(last?.revision, ok.commit);
  t.is(last?.get('Team', 'acme', 'platform')?.object.spec.displayName, 'Platform Engineering');
  t.true(runGit(gitdir, ['show', 'main:orgs/acme/teams/platform.yaml']).startsWith('# The team that owns the platform repositories.'));

  const head = runGit(gitdir, ['rev-parse', 'main']);
  const bad = { ...team('ghost', 'Ghost'), spec: { organizationRef: 'acme' } };
  const err = await t.throwsAsync(writer.write({ edit: { op: 'upsert', resource: bad }, actor: ACTOR }));
  t.like(err, { status: 422 });
  const details = (err as unknown as { details: { path?: string; line?: number }[] }).details;
  t.true(details.length > 0);
  t.true(details.every((d) => d.path === 'orgs/acme/teams/ghost.yaml' && typeof d.line === 'number'), JSON.stringify(details));
  t.is(runGit(gitdir, ['rev-parse', 'main']), head);
});

const PAIR = `apiVersion: kradle.a5c.ai/v1alpha1
kind: Team
metadata: {name: alpha}
spec:
  organizationRef: acme
  displayName: Alpha
  colour: red
---
apiVersion: kradle.a5c.ai/v1alpha1
kind: Team
metadata: {name: beta}
spec:
  organizationRef: acme
  displayName: Beta
`;

test('with the real loader: a write reports the warnings of the documents it wrote, positioned in their file, and no others', async (t) => {
  const work = createTestRepo();
  cpSync(FIXTURE, work.dir, { recursive: true });
  work.commit({ 'orgs/acme/teams/pair.yaml': PAIR }, 'sample config, and alpha with a stray field');
  const gitdir = createBareClone(work.dir);
  t.teardown(() => {
    work.remove();
    rmSync(dirname(gitdir), { recursive: true, force: true });
  });
  const loader = createLoader();
  const writer = createConfigWriter({
    gitdir, branch: 'main',
    validate: async (snapshot) => {
      const res = await loader.check(snapshot);
      return { errors: res.ok ? [] : res.errors, warnings: res.warnings };
    },
  });
  const lineOf = (path: string, text: string) => runGit(gitdir, ['show', `main:${path}`]).split('\n').findIndex((l) => l.includes(text)) + 1;

  // beta shares its file with alpha, whose stray field is not this write's business.
  const beta = team('beta', 'Beta', { parentTeam: 'ghost' });
  const wrote = await writer.write({ edit: { op: 'upsert', resource: beta }, actor: ACTOR });
  t.true(wrote.changed);
  const line = lineOf('orgs/acme/teams/pair.yaml', 'parentTeam');
  t.true(line > 10, 'beta is the second document');
  t.deepEqual(wrote.warnings, [
    { path: 'orgs/acme/teams/pair.yaml', line, column: 3, code: 'UNKNOWN_FIELD', field: 'spec.parentTeam', message: 'spec.parentTeam is not a field of Team; it is ignored' },
  ]);
  const again = await writer.write({ edit: { op: 'upsert', resource: beta }, actor: ACTOR });
  t.false(again.changed, 'the same document again makes no commit');
  t.deepEqual(again.warnings, wrote.warnings, 'and still says what it ignores');

  const many = await writer.writeMany({
    edits: [{ op: 'upsert', resource: team('gamma', 'Gamma', { members: [{ name: 'alice', rloe: 'lead' }] }) }, { op: 'upsert', resource: team('platform', 'Platform', { members: ['alice'] }) }],
    actor: ACTOR,
  });
  t.deepEqual(many.warnings.map((w) => [w.path, w.field]), [['orgs/acme/teams/gamma.yaml', 'spec.members[0].rloe']]);
  const removed = await writer.write({ edit: { op: 'delete', kind: 'Team', org: 'acme', name: 'beta' }, actor: ACTOR });
  t.deepEqual(removed.warnings, [], 'a delete writes no document');
});
