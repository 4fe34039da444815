import test from 'ava';
import { appendFileSync, mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGitSource, snapshotWorktree } from '../../src/source/index.ts';
import { excludesFileOf } from '../../src/source/excludes-file.ts';
import { changedFromCommit } from '../../src/source/worktree-changes.ts';
import { createTestRepo, runGitUntrimmed, tempDir, type TestRepo } from '../support/git-repo.ts';

const seed = {
  'orgs/acme/organization.yaml': 'kind: Organization\n',
  'orgs/acme/teams/core.yml': 'kind: Team\n',
  'orgs/acme/teams/web.yml': 'kind: Team\nmetadata: {name: web}\n',
  'orgs/acme/notes.md': 'x\n',
  'other/x.yaml': 'kind: Team\n',
};

/** What `git status` says differs from HEAD below `path`, YAML files only: the oracle. */
function gitStatus(repo: TestRepo, dir = repo.dir): string[] {
  const out = runGitUntrimmed(dir, ['status', '--porcelain=v1', '-uall', '--no-renames']);
  return out.split('\n').filter(Boolean).map((l) => l.slice(3)).filter((p) => /\.ya?ml$/.test(p)).sort();
}

async function changed(repo: TestRepo, dir = repo.dir, path?: string): Promise<string[]> {
  const source = createGitSource({ url: dir, path });
  return changedFromCommit(dir, path, (await source.snapshot(await source.resolve('HEAD'))).files);
}

/** Edits of every sort: content, same-size content with the old mtime put back, untracked, deleted, staged. */
function edit(repo: TestRepo): void {
  const web = join(repo.dir, 'orgs/acme/teams/web.yml');
  const { mtime } = statSync(web);
  writeFileSync(web, 'kind: Team\nmetadata: {name: wxb}\n');
  utimesSync(web, mtime, mtime);
  repo.write({ 'orgs/acme/teams/core.yml': 'kind: Team\nmetadata: {}\n', 'orgs/acme/new.yaml': 'kind: Team\n', 'other/x.yaml': null });
  repo.write({ 'orgs/acme/organization.yaml': 'kind: Organization\nspec: {}\n' });
  repo.git('add', 'orgs/acme/organization.yaml');
}

test('changedFromCommit agrees with git status before and after edits, whatever the index version', async (t) => {
  for (const setup of [[], ['update-index', '--index-version', '3'], ['update-index', '--index-version', '4']]) {
    const repo = createTestRepo();
    t.teardown(() => repo.remove());
    repo.commit(seed);
    if (setup.length) repo.git(...setup);
    t.deepEqual(await changed(repo), [], `clean, ${setup.join(' ') || 'index v2'}`);
    edit(repo);
    const expected = gitStatus(repo);
    t.deepEqual(expected, ['orgs/acme/new.yaml', 'orgs/acme/organization.yaml', 'orgs/acme/teams/core.yml', 'orgs/acme/teams/web.yml', 'other/x.yaml']);
    t.deepEqual(await changed(repo), expected, setup.join(' ') || 'index v2');
    t.deepEqual(await changed(repo, repo.dir, 'orgs/acme/teams'), ['orgs/acme/teams/core.yml', 'orgs/acme/teams/web.yml'], '--path');
  }
});

test('changedFromCommit hashes every file when the index is missing, has intent-to-add entries or is corrupt', async (t) => {
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  repo.commit(seed);
  repo.write({ 'orgs/acme/teams/core.yml': 'kind: Team\nmetadata: {}\n', 'orgs/acme/new.yaml': 'kind: Team\n' });
  repo.git('add', '-N', 'orgs/acme/new.yaml');
  t.deepEqual(await changed(repo), ['orgs/acme/new.yaml', 'orgs/acme/teams/core.yml'], 'intent to add');
  writeFileSync(join(repo.dir, '.git/index'), 'DIRC\0\0\0\x02\0\0\0\x09garbage');
  t.deepEqual(await changed(repo), ['orgs/acme/new.yaml', 'orgs/acme/teams/core.yml'], 'corrupt index');
  rmSync(join(repo.dir, '.git/index'));
  t.deepEqual(await changed(repo), ['orgs/acme/new.yaml', 'orgs/acme/teams/core.yml'], 'no index');
});

test('changedFromCommit reads a linked worktree against its own index', async (t) => {
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  repo.commit(seed);
  const linked = join(tempDir(), 'linked');
  t.teardown(() => rmSync(linked, { recursive: true, force: true }));
  repo.git('worktree', 'add', '-q', '-b', 'side', linked);
  writeFileSync(join(linked, 'orgs/acme/teams/core.yml'), 'kind: Team\nmetadata: {}\n');
  t.deepEqual(await changed(repo, linked), ['orgs/acme/teams/core.yml']);
  t.deepEqual(await changed(repo), [], 'the main working tree is untouched');
});

test('changedFromCommit does not call the files a sparse checkout leaves off the disk deleted, as git status does not', async (t) => {
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  repo.commit(seed);
  repo.git('sparse-checkout', 'set', 'orgs/acme/teams');
  t.deepEqual(gitStatus(repo), []);
  t.deepEqual(await changed(repo), []);
  // A file skipped by hand (git update-index --skip-worktree) and removed is not deleted either; a real deletion still is.
  repo.git('sparse-checkout', 'disable');
  repo.git('update-index', '--skip-worktree', 'other/x.yaml');
  repo.write({ 'other/x.yaml': null, 'orgs/acme/teams/web.yml': null });
  t.deepEqual(gitStatus(repo), ['orgs/acme/teams/web.yml']);
  t.deepEqual(await changed(repo), ['orgs/acme/teams/web.yml']);
});

test('core.excludesFile ignores untracked files after .gitignore and .git/info/exclude, as git status does', async (t) => {
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  repo.commit(seed);
  const home = tempDir('kradle-excludes-');
  writeFileSync(join(home, 'ignore'), '*.mine.yaml\nscratch/\nback.yaml\n');
  repo.git('config', 'core.excludesFile', join(home, 'ignore'));
  // .git/info/exclude re-includes one file the excludes file ignores: it comes first.
  appendFileSync(join(repo.dir, '.git/info/exclude'), '!back.yaml\n');
  repo.write({ 'orgs/acme/a.mine.yaml': 'kind: Team\n', 'scratch/s.yaml': 'kind: Team\n', 'back.yaml': 'kind: Team\n', 'orgs/acme/new.yaml': 'kind: Team\n' });
  const expected = ['back.yaml', 'orgs/acme/new.yaml'];
  t.deepEqual(gitStatus(repo), expected);
  t.deepEqual(await changed(repo), expected);
  t.deepEqual((await snapshotWorktree(repo.dir)).files.map((f) => f.path).filter((p) => !(p in seed)), expected);
});

test('excludesFileOf finds the file git would: the last config to set it, ~ and relative paths, else the XDG default', (t) => {
  const home = tempDir('kradle-home-');
  const gitdir = join(home, 'repo', '.git');
  mkdirSync(gitdir, { recursive: true });
  const env = { HOME: home, GIT_CONFIG_NOSYSTEM: '1' };
  t.is(excludesFileOf(gitdir, join(home, 'repo'), env), join(home, '.config', 'git', 'ignore'));
  t.is(excludesFileOf(gitdir, join(home, 'repo'), { ...env, XDG_CONFIG_HOME: join(home, 'xdg') }), join(home, 'xdg', 'git', 'ignore'));
  writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = x\n[Core]\n\texcludesfile = ~/global-ignore ; a comment\n');
  t.is(excludesFileOf(gitdir, join(home, 'repo'), env), join(home, 'global-ignore'));
  // The repository's config is read last, and wins; a relative path is from the top of the working tree.
  writeFileSync(join(gitdir, 'config'), '[core]\n\tbare = false\n[core] excludesFile = "local ignore" # why\n');
  t.is(excludesFileOf(gitdir, join(home, 'repo'), env), join(home, 'repo', 'local ignore'));
  writeFileSync(join(gitdir, 'config'), '[core]\n\texcludesFile =\n');
  t.is(excludesFileOf(gitdir, join(home, 'repo'), env), undefined, 'an empty value turns it off');
  t.is(excludesFileOf(gitdir, join(home, 'repo'), { ...env, GIT_CONFIG_GLOBAL: join(home, 'none') }), undefined);
});

test('the files of a submodule, or of a repository cloned inside the working tree, are not uncommitted changes, as in git status', async (t) => {
  const other = createTestRepo();
  t.teardown(() => other.remove());
  other.commit({ 'orgs/acme/organization.yaml': 'kind: Organization\n', 'teams/x.yaml': 'kind: Team\n' });
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  repo.commit(seed);
  repo.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', other.dir, 'orgs/vendor');
  repo.git('commit', '-q', '-m', 'submodule');
  repo.git('clone', '-q', other.dir, 'orgs/acme/nested');
  t.deepEqual(gitStatus(repo), []);
  t.deepEqual(await changed(repo), []);
  // --worktree reads what the commit holds: the submodule is one commit id there, with no files of its own.
  const fromDisk = await snapshotWorktree(repo.dir);
  t.deepEqual(fromDisk.files, (await createGitSource({ url: repo.dir }).snapshot(repo.head())).files);
});

test('untracked files git ignores (.gitignore at any depth, .git/info/exclude) are neither uncommitted changes nor read from disk; a tracked one is both', async (t) => {
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  repo.commit({ ...seed, '.gitignore': 'generated/\n*.local.yaml\n!keep.local.yaml\n', 'orgs/acme/.gitignore': 'scratch/\n/top.yml\n' });
  // Tracked although ignored: git keeps tracking it, and so does Kradle.
  repo.write({ 'orgs/acme/teams/forced.local.yaml': 'kind: Team\n' });
  repo.git('add', '-f', 'orgs/acme/teams/forced.local.yaml');
  repo.git('commit', '-q', '-m', 'forced');
  appendFileSync(join(repo.dir, '.git/info/exclude'), 'excluded.yaml\n');
  const untracked = ['generated/a.yaml', 'generated/deep/b.yml', 'orgs/acme/x.local.yaml', 'orgs/acme/keep.local.yaml', 'orgs/acme/scratch/s.yaml', 'orgs/acme/top.yml', 'orgs/acme/teams/top.yml', 'excluded.yaml', 'orgs/acme/new.yaml'];
  repo.write(Object.fromEntries(untracked.map((p) => [p, 'kind: Team\n'])));
  repo.write({ 'orgs/acme/teams/forced.local.yaml': 'kind: Team\nmetadata: {}\n' });
  const expected = ['orgs/acme/keep.local.yaml', 'orgs/acme/new.yaml', 'orgs/acme/teams/forced.local.yaml', 'orgs/acme/teams/top.yml'];
  t.deepEqual(gitStatus(repo), expected);
  t.deepEqual(await changed(repo), expected);
  const onDisk = (await snapshotWorktree(repo.dir)).files.map((f) => f.path);
  t.deepEqual(onDisk.filter((p) => !(p in seed)), expected, '--worktree reads what git would add');
  // Without an index nothing is tracked: the rules apply to every file, as to a fresh clone's untracked files.
  rmSync(join(repo.dir, '.git/index'));
  t.false((await snapshotWorktree(repo.dir)).files.some((f) => f.path.startsWith('generated/')));
});
