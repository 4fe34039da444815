import test from 'ava';
import * as nodeFs from 'node:fs';
import git from 'isomorphic-git';
import { ConflictError } from '../../src/errors/index.ts';
import { entryAt, rewriteTree } from '../../src/writeback/git-tree.ts';
import { createTestRepo } from '../support/git-repo.ts';

async function setup(t: { teardown(fn: () => void): void }) {
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  const commit = repo.commit({ 'orgs/acme/teams/core.yaml': 'kind: Team\n', 'orgs/acme/notes': 'a file\n' });
  const gitdir = `${repo.dir}/.git`;
  const ctx = { fs: nodeFs, gitdir, cache: {} };
  const { commit: c } = await git.readCommit({ fs: nodeFs, gitdir, oid: commit });
  const blob = await git.writeBlob({ fs: nodeFs, gitdir, blob: new TextEncoder().encode('kind: Team\n') });
  return { ctx, tree: c.tree, blob };
}

test('a write that would replace a directory by a file, or a file by a directory, is a conflict naming the path', async (t) => {
  const { ctx, tree, blob } = await setup(t);
  const overDir = await t.throwsAsync(rewriteTree(ctx, tree, new Map([['orgs/acme/teams', blob]])), { instanceOf: ConflictError });
  t.regex(overDir!.message, /orgs\/acme\/teams is a directory/);
  const underFile = await t.throwsAsync(rewriteTree(ctx, tree, new Map([['orgs/acme/notes/x.yaml', blob]])), { instanceOf: ConflictError });
  t.regex(underFile!.message, /orgs\/acme\/notes is a file/);
  await t.throwsAsync(rewriteTree(ctx, tree, new Map([['orgs/acme/teams', null]])), { instanceOf: ConflictError }, 'a delete never takes a directory');
  // Files next to them are written as before.
  const next = await rewriteTree(ctx, tree, new Map([['orgs/acme/teams/new.yaml', blob]]));
  t.is((await entryAt(ctx, next, 'orgs/acme/teams/new.yaml'))?.oid, blob);
  t.truthy(await entryAt(ctx, next, 'orgs/acme/teams/core.yaml'));
});
