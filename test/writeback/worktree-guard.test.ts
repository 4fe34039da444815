import test from 'ava';
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConfigWriter } from '../../src/writeback/index.ts';
import { isKradleError } from '../../src/errors/index.ts';
import { createTestRepo, tempDir, type TestRepo } from '../support/git-repo.ts';
import { ACTOR, POOLS_FILE, TEAM_FILE, simpleValidate, team } from './helpers.ts';

/** A non-bare repository with `main` checked out, written in place as `kradle serve --repo <dir>` does. */
function checkedOutRepo(t: { teardown(fn: () => void): void }): { repo: TestRepo; write: (name: string) => Promise<unknown>; remove: (name: string) => Promise<unknown> } {
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  repo.commit({ 'orgs/acme/teams/platform.yaml': TEAM_FILE, 'orgs/acme/runnerpools.yaml': POOLS_FILE }, 'initial');
  const writer = createConfigWriter({ gitdir: join(repo.dir, '.git'), branch: 'main', validate: simpleValidate });
  return {
    repo,
    write: (name) => writer.write({ edit: { op: 'upsert', resource: team(name, name) }, actor: ACTOR }),
    remove: (name) => writer.write({ edit: { op: 'delete', kind: 'Team', org: 'acme', name }, actor: ACTOR }),
  };
}

test('a write to the branch checked out in a clean tree brings the tree along, so a later commit there reverts nothing', async (t) => {
  const { repo, write } = checkedOutRepo(t);
  await write('data');
  t.is(repo.git('status', '--porcelain'), '');
  t.true(readFileSync(join(repo.dir, 'orgs/acme/teams/data.yaml'), 'utf8').includes('name: data'));
  // The operator's next commit, made the documented way, keeps the API's file.
  repo.commit({ 'README.md': 'notes\n' }, 'operator edit');
  t.is(repo.git('ls-tree', '--name-only', 'HEAD', 'orgs/acme/teams/'), 'orgs/acme/teams/data.yaml\norgs/acme/teams/platform.yaml');
});

test('a write to a file with local changes (edited or staged) is a 409 naming the tree and the fix, and commits nothing', async (t) => {
  const { repo, write } = checkedOutRepo(t);
  const head = repo.head();
  const edited = TEAM_FILE.replace('Platform', 'Platform, edited here');
  writeFileSync(join(repo.dir, 'orgs/acme/teams/platform.yaml'), edited);
  const err = await t.throwsAsync(write('platform'));
  t.true(isKradleError(err) && err.status === 409);
  t.true(err!.message.includes(repo.dir));
  t.regex(err!.message, /uncommitted changes \(orgs\/acme\/teams\/platform\.yaml\).*Commit or stash/);
  t.is(repo.head(), head);
  t.is(repo.git('status', '--porcelain'), 'M orgs/acme/teams/platform.yaml');
  // Staged, the same.
  repo.git('add', 'orgs/acme/teams/platform.yaml');
  await t.throwsAsync(write('platform'), { message: /uncommitted changes/ });
  t.is(repo.head(), head);
  t.is(readFileSync(join(repo.dir, 'orgs/acme/teams/platform.yaml'), 'utf8'), edited);
});

test('local changes to other files are carried along, as git checkout carries them: the write commits and leaves them as they were', async (t) => {
  const { repo, write, remove } = checkedOutRepo(t);
  const pools = POOLS_FILE.replace('maxReplicas: 4', 'maxReplicas: 40');
  writeFileSync(join(repo.dir, 'orgs/acme/runnerpools.yaml'), pools);
  writeFileSync(join(repo.dir, 'notes.md'), 'staged\n');
  repo.git('add', 'notes.md');
  await write('data');
  t.is(repo.git('log', '-1', '--format=%s', '--name-only').split('\n').pop(), 'orgs/acme/teams/data.yaml');
  // The written file is in the tree, the index and on disk; the operator's edits are still theirs, unstaged and staged.
  t.is(repo.git('status', '--porcelain'), 'A  notes.md\n M orgs/acme/runnerpools.yaml');
  t.is(readFileSync(join(repo.dir, 'orgs/acme/runnerpools.yaml'), 'utf8'), pools);
  t.true(readFileSync(join(repo.dir, 'orgs/acme/teams/data.yaml'), 'utf8').includes('name: data'));
  // A delete takes the file off the disk and out of the index, and leaves the rest as it was too.
  await remove('platform');
  t.false(existsSync(join(repo.dir, 'orgs/acme/teams/platform.yaml')));
  t.is(repo.git('status', '--porcelain'), 'A  notes.md\n M orgs/acme/runnerpools.yaml');
});

test('an untracked file where the write would put its file is a local change too', async (t) => {
  const { repo, write } = checkedOutRepo(t);
  writeFileSync(join(repo.dir, 'orgs/acme/teams/data.yaml'), 'mine\n');
  const err = await t.throwsAsync(write('data'));
  t.true(isKradleError(err) && err.status === 409);
  t.is(readFileSync(join(repo.dir, 'orgs/acme/teams/data.yaml'), 'utf8'), 'mine\n');
  // Untracked files elsewhere do not block a write.
  await write('other');
  t.true(readFileSync(join(repo.dir, 'orgs/acme/teams/other.yaml'), 'utf8').includes('name: other'));
});

test('a write to a branch checked out in a linked worktree is a 409 naming that worktree', async (t) => {
  const { repo, write } = checkedOutRepo(t);
  repo.git('switch', '-q', '-c', 'elsewhere');
  const linked = join(tempDir('kradle-linked-'), 'wt');
  repo.git('worktree', 'add', '-q', linked, 'main');
  const err = await t.throwsAsync(write('data'));
  t.true(isKradleError(err) && err.status === 409);
  t.true(err!.message.includes(linked), err!.message);
});

// git writes the index as index.lock and renames it into place; a write that moved the branch and rewrote the index
// meanwhile would be undone by that rename, and the next `git commit -a` there would revert the API write.
test('a write while a git command holds the index lock is a 409 naming the lock, and moves neither branch nor index', async (t) => {
  const { repo, write } = checkedOutRepo(t);
  const head = repo.head();
  const lock = join(repo.dir, '.git/index.lock');
  copyFileSync(join(repo.dir, '.git/index'), lock);
  const err = await t.throwsAsync(write('data'));
  t.true(isKradleError(err) && err.status === 409, String(err));
  t.true(err!.message.includes(lock), err!.message);
  t.true(existsSync(lock), 'the lock is git\'s, never taken away');
  t.is(repo.head(), head);
  // The git command ends as git does; the tree is consistent with the branch, and a commit there reverts nothing.
  renameSync(lock, join(repo.dir, '.git/index'));
  t.is(repo.git('status', '--porcelain'), '');
  await write('data');
  t.is(repo.git('status', '--porcelain'), '');
  t.false(existsSync(lock), 'Kradle releases the lock it took');
  repo.commit({ 'README.md': 'notes\n' }, 'operator edit');
  t.is(repo.git('ls-tree', '--name-only', 'HEAD', 'orgs/acme/teams/'), 'orgs/acme/teams/data.yaml\norgs/acme/teams/platform.yaml');
});
