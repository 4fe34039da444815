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
    return res.ok ? [] : res.errors;
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
