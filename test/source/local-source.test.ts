import test from 'ava';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createGitSource } from '../../src/source/index.ts';
import { BadRequestError, NotFoundError } from '../../src/errors/index.ts';
import { createBareClone, createTestRepo, renameAndCommit, runGit, type TestRepo } from '../support/git-repo.ts';

const doc = (name: string, extra = '') => `apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata:\n  name: ${name}\n${extra}`;

const files = {
  'README.md': '# config\n',
  'orgs/acme/organization.yaml': doc('acme'),
  'orgs/acme/teams/core.yaml': doc('core'),
  'orgs/acme/teams/notes.txt': 'not yaml\n',
  'orgs/acme/agentstacks/deep/nested/reviewer.yml': doc('reviewer'),
  'orgs/beta/organization.yaml': doc('beta'),
  'other/ignored.yaml': doc('ignored'),
};

function seeded(t: { teardown(fn: () => void): void }): { repo: TestRepo; first: string } {
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  const first = repo.commit(files, 'seed');
  return { repo, first };
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

test('resolve finds a branch, a lightweight and an annotated tag, a full and a short commit id', async (t) => {
  const { repo, first } = seeded(t);
  repo.tag('v1');
  const second = repo.commit({ 'orgs/acme/teams/core.yaml': doc('core', 'spec: {}\n') });
  repo.tag('v2', { annotated: true });
  repo.git('branch', 'old', first);
  const source = createGitSource({ url: repo.dir });
  t.is(await source.resolve('main'), second);
  t.is(await source.resolve('old'), first);
  t.is(await source.resolve('v1'), first);
  t.is(await source.resolve('v2'), second);
  t.is(await source.resolve('refs/heads/main'), second);
  t.is(await source.resolve(first), first);
  t.is(await source.resolve(first.slice(0, 7)), first);
});

test('resolve agrees with git rev-parse for loose and packed refs, symbolic refs, remotes and a branch moved after packing', async (t) => {
  const { repo, first } = seeded(t);
  repo.tag('v1');
  const second = repo.commit({ 'orgs/acme/teams/core.yaml': doc('core', 'spec: {}\n') });
  repo.tag('v2', { annotated: true });
  repo.git('branch', 'old', first);
  repo.git('update-ref', 'refs/remotes/origin/main', first);
  repo.git('symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main');
  repo.git('pack-refs', '--all');
  repo.git('symbolic-ref', 'refs/heads/alias', 'refs/heads/old');
  // A loose ref written after packing wins over the packed one, as in git.
  repo.git('update-ref', 'refs/heads/old', second);
  repo.git('tag', 'v3', first);
  const source = createGitSource({ url: repo.dir });
  for (const rev of ['HEAD', 'main', 'old', 'alias', 'v1', 'v2', 'v3', 'refs/tags/v2', 'origin/main', 'origin', 'refs/heads/alias', second]) {
    t.is(await source.resolve(rev), runGit(repo.dir, ['rev-parse', `${rev}^{commit}`]), rev);
  }
});

test('resolve of an unknown revision is a NotFoundError naming it', async (t) => {
  const { repo } = seeded(t);
  const source = createGitSource({ url: repo.dir });
  for (const rev of ['no-such-branch', 'deadbeef', '0'.repeat(40)]) {
    const err = await t.throwsAsync(source.resolve(rev), { instanceOf: NotFoundError });
    t.true(err!.message.includes(rev), err!.message);
  }
});

test('resolve refuses a revision git would refuse, before reading any file: `..` must not lead out of refs/', async (t) => {
  const { repo, first } = seeded(t);
  repo.tag('v1');
  const source = createGitSource({ url: repo.dir });
  // Names git check-ref-format refuses (and revision syntax Kradle does not read); `..` would reach files outside refs/.
  for (const rev of ['refs/heads/../../HEAD', 'refs/heads/../HEAD~0', '../.git/HEAD', 'refs/tags/.v1', 'main.lock', 'refs//heads/main', '/refs/heads/main', 'main/', 'main.', 'ma in', 'ma\tin', 'main@{0}', 'main:x', 'ma*n', 'ma?n', 'ma[n', 'ma\\n', 'HEAD^{tree}', 'HEAD^{blob}', 'HEAD^{/msg}', 'HEAD^{commit', 'HEAD^{}x', '@', '']) {
    const err = await t.throwsAsync(source.resolve(rev), { instanceOf: BadRequestError }, JSON.stringify(rev));
    t.is(err?.details[0]?.code, 'INVALID_REVISION', rev);
    t.true(err!.message.includes(JSON.stringify(rev)), err!.message);
  }
  // The revision syntax Kradle reads stays: ~N and ^N after a name that git could hold.
  for (const rev of ['main', 'main~0', 'main^0', 'v1', 'refs/tags/v1', 'HEAD~0^0', first.slice(0, 7)]) t.is(await source.resolve(rev), first, rev);
});

test('resolve reads the peels ^{} and ^{commit} as git does: an annotated tag peels to its commit', async (t) => {
  const { repo, first } = seeded(t);
  repo.tag('v1', { annotated: true });
  repo.commit({ 'orgs/acme/teams/core.yaml': doc('core', 'spec: {}\n') });
  repo.tag('v2', { annotated: true });
  const source = createGitSource({ url: repo.dir });
  for (const rev of ['HEAD^{}', 'HEAD^{commit}', 'v1^{}', 'v2^{commit}', 'refs/tags/v2^{}', 'main~1^{commit}', 'v2^{}~1', 'v2^{}^{commit}^0', `${first}^{}`]) {
    t.is(await source.resolve(rev), runGit(repo.dir, ['rev-parse', '--verify', rev]), rev);
  }
  t.is(await source.resolve('v1^{commit}'), first);
});

test('a path that holds no repository is a NotFoundError', (t) => {
  t.throws(() => createGitSource({ url: '/nonexistent/kradle/repo' }), { instanceOf: NotFoundError });
});

test('snapshot lists only YAML files below the configured path, at any depth, with their blob ids', async (t) => {
  const { repo, first } = seeded(t);
  const source = createGitSource({ url: repo.dir, path: 'orgs' });
  const snap = await source.snapshot(first);
  t.is(snap.revision, first);
  t.deepEqual(snap.files.map((f) => f.path), [
    'orgs/acme/agentstacks/deep/nested/reviewer.yml',
    'orgs/acme/organization.yaml',
    'orgs/acme/teams/core.yaml',
    'orgs/beta/organization.yaml',
  ]);
  for (const f of snap.files) {
    t.is(f.oid, repo.git('rev-parse', `${first}:${f.path}`));
    t.is(text(await snap.readBlob(f.oid)), files[f.path as keyof typeof files]);
  }
  const acme = await source.snapshot(first, 'orgs/acme/teams/');
  t.deepEqual(acme.files.map((f) => f.path), ['orgs/acme/teams/core.yaml']);
  t.deepEqual((await source.snapshot(first, 'missing')).files, []);
  const root = await createGitSource({ url: repo.dir }).snapshot(first);
  t.is(root.files.length, 5);
});

test('fetch of a local repository resolves the HEAD branch and reports a change once', async (t) => {
  const { repo, first } = seeded(t);
  const source = createGitSource({ url: repo.dir });
  t.is(source.ref, 'main');
  t.deepEqual(await source.fetch(), { commit: first, changed: true });
  t.deepEqual(await source.fetch(), { commit: first, changed: false });
  const second = repo.commit({ 'orgs/beta/teams/a.yaml': doc('a') });
  t.deepEqual(await source.fetch(), { commit: second, changed: true });
  const pinned = createGitSource({ url: repo.dir, ref: first.slice(0, 10) });
  t.is((await pinned.fetch()).commit, first);
});

const changes: [string, (repo: TestRepo) => string, string[]][] = [
  ['a one-file edit', (r) => r.commit({ 'orgs/acme/teams/core.yaml': doc('core', 'spec:\n  x: 1\n') }), ['orgs/acme/teams/core.yaml']],
  ['an added file in a new directory', (r) => r.commit({ 'orgs/gamma/teams/x.yaml': doc('x') }), ['orgs/gamma/teams/x.yaml']],
  ['a deleted file', (r) => r.commit({ 'orgs/acme/agentstacks/deep/nested/reviewer.yml': null }), ['orgs/acme/agentstacks/deep/nested/reviewer.yml']],
  ['a rename', (r) => renameAndCommit(r, 'orgs/beta/organization.yaml', 'orgs/beta/org.yaml'), ['orgs/beta/org.yaml', 'orgs/beta/organization.yaml']],
  ['a change outside the path or to a non-YAML file', (r) => r.commit({ 'other/ignored.yaml': doc('changed'), 'orgs/acme/teams/notes.txt': 'x' }), []],
];

for (const [what, change, expected] of changes) {
  test(`changedPaths after ${what}`, async (t) => {
    const { repo, first } = seeded(t);
    const second = change(repo);
    const source = createGitSource({ url: repo.dir, path: 'orgs' });
    t.deepEqual(await source.changedPaths(first, second), expected);
    t.deepEqual(await source.changedPaths(second, first), expected);
    t.deepEqual(await source.changedPaths(second, second), []);
  });
}

test('a packed repository (after git gc) reads the same as a loose one', async (t) => {
  const { repo, first } = seeded(t);
  const second = repo.commit({ 'orgs/acme/teams/core.yaml': doc('core', 'spec: {}\n') });
  const loose = createGitSource({ url: repo.dir });
  const before = await loose.snapshot(second);
  runGit(repo.dir, ['gc', '-q', '--aggressive', '--prune=now']);
  const packed = createGitSource({ url: repo.dir });
  const after = await packed.snapshot(second);
  t.deepEqual(after.files, before.files);
  for (const f of after.files) t.deepEqual(text(await after.readBlob(f.oid)), text(await before.readBlob(f.oid)));
  t.deepEqual(await packed.changedPaths(first, second), ['orgs/acme/teams/core.yaml']);
  t.is(await packed.resolve(first.slice(0, 8)), first);
});

test('a bare repository is read in place', async (t) => {
  const { repo, first } = seeded(t);
  const bare = createBareClone(repo.dir);
  t.teardown(() => rmSync(dirname(bare), { recursive: true, force: true }));
  const source = createGitSource({ url: bare, path: 'orgs/beta' });
  t.is(source.gitdir, bare);
  t.is((await source.fetch()).commit, first);
  t.deepEqual((await source.snapshot(first)).files.map((f) => f.path), ['orgs/beta/organization.yaml']);
});

test('a corrupt object is reported as REPO_CORRUPT naming it, a missing one as not found', async (t) => {
  const { repo, first } = seeded(t);
  const oid = runGit(repo.dir, ['rev-parse', `${first}:orgs/acme/teams/core.yaml`]).trim();
  const file = `${repo.dir}/.git/objects/${oid.slice(0, 2)}/${oid.slice(2)}`;
  chmodSync(file, 0o644);
  writeFileSync(file, 'not a zlib stream');
  const snapshot = await createGitSource({ url: repo.dir, path: 'orgs' }).snapshot(first);
  const corrupt = await t.throwsAsync(snapshot.readBlob(oid));
  t.is((corrupt as { code?: string }).code, 'REPO_CORRUPT');
  t.true(corrupt!.message.includes(oid));
  rmSync(file);
  await t.throwsAsync(snapshot.readBlob(oid), { instanceOf: NotFoundError });
});
