import test from 'ava';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGitSource, createWorktreeWatcher, snapshotWorktree, type Snapshot } from '../../src/source/index.ts';
import { changedFromCommit } from '../../src/source/worktree-changes.ts';
import { createTestRepo, tempDir } from '../support/git-repo.ts';

const seed = {
  'orgs/acme/organization.yaml': 'kind: Organization\n',
  'orgs/acme/teams/core.yml': 'kind: Team\n',
  'orgs/acme/notes.md': 'x\n',
  'other/x.yaml': 'kind: Team\n',
};

test('snapshotWorktree gives the same blob ids as the commit, skips .git and node_modules', async (t) => {
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  const commit = repo.commit(seed);
  mkdirSync(join(repo.dir, 'orgs/node_modules/pkg'), { recursive: true });
  writeFileSync(join(repo.dir, 'orgs/node_modules/pkg/x.yaml'), 'no: 1\n');
  const fromDisk = await snapshotWorktree(repo.dir, 'orgs');
  const fromGit = await createGitSource({ url: repo.dir, path: 'orgs' }).snapshot(commit);
  t.deepEqual(fromDisk.files, fromGit.files);
  t.regex(fromDisk.revision, /^worktree:[0-9a-f]{40}$/);
  t.is(Buffer.from(await fromDisk.readBlob(fromDisk.files[0]!.oid)).toString(), seed['orgs/acme/organization.yaml']);
  t.is((await snapshotWorktree(repo.dir, 'orgs')).revision, fromDisk.revision);
  t.is((await snapshotWorktree(repo.dir)).files.length, 3);
});

test('a symlinked YAML file is marked as a link on disk as in Git, with the same blob id', async (t) => {
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  repo.commit(seed);
  symlinkSync('organization.yaml', join(repo.dir, 'orgs/acme/alias.yaml'));
  const commit = repo.commit({}, 'add a link');
  const fromDisk = await snapshotWorktree(repo.dir, 'orgs');
  const fromGit = await createGitSource({ url: repo.dir, path: 'orgs' }).snapshot(commit);
  t.deepEqual(fromDisk.files, fromGit.files);
  t.deepEqual(fromGit.files.filter((f) => f.symlink).map((f) => f.path), ['orgs/acme/alias.yaml']);
});

test('the watcher delivers a snapshot with an uncommitted edit', async (t) => {
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  repo.commit(seed);
  const before = await snapshotWorktree(repo.dir, 'orgs');
  const snapshots: Snapshot[] = [];
  let notify = () => {};
  const watcher = createWorktreeWatcher({
    dir: repo.dir,
    path: 'orgs',
    debounceMs: 50,
    onSnapshot: (s) => {
      snapshots.push(s);
      notify();
    },
  });
  t.teardown(() => watcher.close());
  await watcher.ready;
  const delivered = new Promise<void>((resolve) => (notify = resolve));
  repo.write({ 'orgs/acme/teams/core.yml': 'kind: Team\nspec: {}\n' });
  await delivered;
  const snap = snapshots.at(-1)!;
  t.not(snap.revision, before.revision);
  const core = snap.files.find((f) => f.path === 'orgs/acme/teams/core.yml')!;
  t.is(core.oid, repo.git('hash-object', 'orgs/acme/teams/core.yml'));
  t.is(Buffer.from(await snap.readBlob(core.oid)).toString(), 'kind: Team\nspec: {}\n');
  t.is(repo.git('status', '--porcelain'), 'M orgs/acme/teams/core.yml');
});

test('a node_modules that is a symbolic link is skipped like a real one: no SYMLINK_NOT_SUPPORTED, no uncommitted change', async (t) => {
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  const commit = repo.commit({ ...seed, '.gitignore': 'node_modules\n' });
  const shared = tempDir();
  t.teardown(() => rmSync(shared, { recursive: true, force: true }));
  writeFileSync(join(shared, 'x.yaml'), 'no: 1\n');
  symlinkSync(shared, join(repo.dir, 'node_modules'));
  symlinkSync(shared, join(repo.dir, 'orgs/node_modules'));
  const fromDisk = await snapshotWorktree(repo.dir);
  const fromGit = await createGitSource({ url: repo.dir }).snapshot(commit);
  t.deepEqual(fromDisk.files, fromGit.files);
  t.deepEqual(await changedFromCommit(repo.dir, undefined, fromGit.files), []);
});
