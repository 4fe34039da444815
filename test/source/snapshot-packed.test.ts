import test from 'ava';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createGitSource } from '../../src/source/index.ts';
import { createObjectStore } from '../../src/source/object-store.ts';
import { createTestRepo, runGit, type TestRepo } from '../support/git-repo.ts';

// Similar documents, so `git repack` stores most of them as deltas (ofs-delta chains).
const doc = (i: number, extra = '') =>
  `apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata:\n  name: team-${i}\nspec:\n  description: ${'the quick brown fox '.repeat(8)}${i}\n${extra}`;

function seeded(t: { teardown(fn: () => void): void }): TestRepo {
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  const files: Record<string, string> = { 'README.md': '# not yaml\n', 'other/x.yml': doc(-1) };
  for (let i = 0; i < 120; i++) files[`orgs/org-${i % 4}/teams/team-${i}.yaml`] = doc(i);
  repo.commit(files, 'seed');
  return repo;
}

/** What the git CLI says is at a commit: every YAML path below `dir` with its blob id and content. */
function gitListing(repo: TestRepo, commit: string, dir = '') {
  return repo
    .git('ls-tree', '-r', commit, ...(dir ? [dir] : []))
    .split('\n')
    .map((line) => line.split(/\s+/))
    .filter(([, type, , path]) => type === 'blob' && /\.ya?ml$/.test(path!))
    .map(([, , oid, path]) => ({ path: path!, oid: oid!, text: runGit(repo.dir, ['cat-file', 'blob', oid!]) }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function ourListing(source: ReturnType<typeof createGitSource>, commit: string, dir?: string) {
  const snap = await source.snapshot(commit, dir);
  const out = [];
  for (const f of snap.files) out.push({ ...f, text: Buffer.from(await snap.readBlob(f.oid)).toString('utf8').trim() });
  return out;
}

function deltaCount(repo: TestRepo): number {
  const packDir = join(repo.dir, '.git', 'objects', 'pack');
  const idx = readdirSync(packDir).filter((n) => n.endsWith('.idx'));
  const out = idx.map((n) => repo.git('verify-pack', '-v', join(packDir, n))).join('\n');
  // verify-pack prints a base id and depth on each deltified object's line.
  return out.split('\n').filter((l) => /^[0-9a-f]{40} blob +\d+ \d+ \d+ \d+ [0-9a-f]{40}$/.test(l)).length;
}

test('a packed repository (delta chains) snapshots exactly as the git CLI reads it, at every commit', async (t) => {
  const repo = seeded(t);
  const first = repo.head();
  const second = repo.commit({ 'orgs/org-1/teams/team-5.yaml': doc(5, '  extra: yes\n'), 'orgs/org-2/teams/team-6.yaml': null }, 'edit');
  repo.git('repack', '-a', '-d', '-q', '-f', '--depth=20', '--window=50');
  t.true(deltaCount(repo) > 50, 'most blobs are stored as deltas');
  // A loose commit on top of the pack: both kinds of storage in one snapshot.
  const third = repo.commit({ 'orgs/org-3/teams/new.yaml': doc(999) }, 'loose');
  const source = createGitSource({ url: repo.dir });
  for (const commit of [third, first, second, third]) t.deepEqual(await ourListing(source, commit), gitListing(repo, commit));
  t.deepEqual(await ourListing(source, second, 'orgs/org-1'), gitListing(repo, second, 'orgs/org-1'));
  t.deepEqual(await ourListing(source, third, 'orgs/none'), []);
});

test('a new pack written after the first snapshot is read (fetch and gc add packs)', async (t) => {
  const repo = seeded(t);
  const source = createGitSource({ url: repo.dir });
  t.deepEqual(await ourListing(source, repo.head()), gitListing(repo, repo.head()));
  const next = repo.commit({ 'orgs/org-0/teams/team-0.yaml': doc(0, '  changed: true\n') }, 'edit');
  repo.git('repack', '-a', '-d', '-q');
  t.deepEqual(await ourListing(source, next), gitListing(repo, next));
});

test('a tag snapshots its commit; an unknown commit is a NotFoundError as before', async (t) => {
  const repo = seeded(t);
  repo.git('tag', '-a', '-m', 'v1', 'v1');
  repo.git('repack', '-a', '-d', '-q');
  const source = createGitSource({ url: repo.dir });
  const tagOid = repo.git('rev-parse', 'v1');
  t.deepEqual(await ourListing(source, tagOid), gitListing(repo, repo.head()));
  await t.throwsAsync(source.snapshot('0123456789012345678901234567890123456789'), { name: 'NotFoundError' });
});

test('an object packed and pruned after the pack list was read is found in the new pack (as after git gc --auto)', async (t) => {
  const repo = seeded(t);
  const oid = repo.git('rev-parse', 'HEAD:orgs/org-1/teams/team-1.yaml').trim();
  const store = createObjectStore(join(repo.dir, '.git'));
  await store.refresh();
  t.is((await store.read(oid))?.type, 'blob', 'loose before the gc');
  // What `git gc --auto` does behind a commit: pack everything, then delete the loose copies.
  repo.git('repack', '-a', '-d', '-q');
  repo.git('prune-packed');
  t.false(existsSync(join(repo.dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2))), 'the loose file is gone');
  const obj = await store.read(oid);
  t.is(obj?.type, 'blob');
  t.is(obj?.data.toString(), doc(1));
});
