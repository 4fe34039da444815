import test from 'ava';
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { changesOnIdleParseWorker, createLoader, prestartParseWorkers } from '../../src/loader/index.ts';
import { createGitSource } from '../../src/source/index.ts';
import type { Snapshot } from '../../src/source/types.ts';
import { changedFromCommit } from '../../src/source/worktree-changes.ts';
import { createTestRepo, type TestRepo } from '../support/git-repo.ts';

// Serial: whether a parse worker is running or starting is the process's state, which each test sets up.

/** A repository large enough for a load to parse on workers (500 distinct blobs and more), committed. */
function bigRepo(t: { teardown(f: () => void): void }): { repo: TestRepo; snapshot: () => Promise<Snapshot> } {
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  const files: Record<string, string> = {};
  for (let i = 0; i < 700; i++) files[`orgs/acme/teams/t-${i}.yaml`] = `kind: Team\nmetadata: {name: t-${i}}\n`;
  repo.commit(files);
  const source = createGitSource({ url: repo.dir });
  return { repo, snapshot: async () => source.snapshot(await source.resolve('HEAD')) };
}

/** Edits of every sort: content, same-size content with the old mtime put back, added, deleted. */
function edit(repo: TestRepo): void {
  const same = join(repo.dir, 'orgs/acme/teams/t-5.yaml');
  const { mtime } = statSync(same);
  writeFileSync(same, 'kind: Team\nmetadata: {name: t-6}\n');
  utimesSync(same, mtime, mtime);
  repo.write({ 'orgs/acme/teams/t-1.yaml': 'kind: Team\n', 'orgs/acme/new.yaml': 'kind: Team\n', 'orgs/acme/teams/t-2.yaml': null });
}

/** What `git status` says differs from HEAD, YAML files only: the oracle. */
function gitStatus(repo: TestRepo): string[] {
  const out = `${repo.git('diff', '--name-only', 'HEAD')}\n${repo.git('ls-files', '--others', '--exclude-standard')}`;
  return out.split('\n').filter((p) => /\.ya?ml$/.test(p)).sort();
}

test.serial('with no parse worker running or starting, the changes are found on this thread at once', async (t) => {
  const { repo, snapshot } = bigRepo(t);
  edit(repo);
  const snap = await snapshot();
  let here = 0;
  const changed = await changesOnIdleParseWorker(repo.dir, undefined, snap.files, new Promise(() => {}), () => (here++, changedFromCommit(repo.dir, undefined, snap.files)));
  t.is(here, 1);
  t.deepEqual(changed, gitStatus(repo));
});

test.serial('a load\'s parse worker finds the changes once its batches are done: edited, added, deleted, racily clean', async (t) => {
  const { repo, snapshot } = bigRepo(t);
  const snap = await snapshot();
  const expected = [['clean', []], ['edited', ['orgs/acme/new.yaml', 'orgs/acme/teams/t-1.yaml', 'orgs/acme/teams/t-2.yaml', 'orgs/acme/teams/t-5.yaml']]] as const;
  for (const [what, paths] of expected) {
    if (what === 'edited') edit(repo);
    for (const racy of [false, true]) {
      // An index written no later than the files: every entry is racily clean, so every file is hashed.
      if (racy) utimesSync(join(repo.dir, '.git/index'), new Date(0), new Date(0));
      t.deepEqual(gitStatus(repo), paths, `${what}: the oracle`);
      prestartParseWorkers();
      const load = createLoader().load(snap);
      let here = 0;
      const changed = changesOnIdleParseWorker(repo.dir, undefined, snap.files, load, () => (here++, changedFromCommit(repo.dir, undefined, snap.files)));
      t.true((await load).stats.parsedOnWorkers! > 0, 'the load parsed on a worker');
      t.deepEqual(await changed, paths, `${what}, racy ${racy}`);
      t.is(here, 0, `${what}, racy ${racy}: found on the worker`);
      const below = await changesOnIdleParseWorker(repo.dir, 'orgs/acme/teams', snap.files.filter((f) => f.path.startsWith('orgs/acme/teams/')),
        Promise.resolve(), () => changedFromCommit(repo.dir, 'orgs/acme/teams', snap.files.filter((f) => f.path.startsWith('orgs/acme/teams/'))));
      t.deepEqual(below, paths.filter((p) => p.startsWith('orgs/acme/teams/')), `${what}, racy ${racy}: below a path`);
    }
  }
});

test.serial('workers started for a load that then parses on this thread leave the changes to this thread, once the load is done', async (t) => {
  const { repo, snapshot } = bigRepo(t);
  edit(repo);
  const snap = await snapshot();
  prestartParseWorkers();
  const load = createLoader({ parallelFrom: Infinity }).load(snap);
  let here = 0;
  const changed = changesOnIdleParseWorker(repo.dir, undefined, snap.files, load, async () => (here++, changedFromCommit(repo.dir, undefined, snap.files)));
  t.is((await load).stats.parsedOnWorkers ?? 0, 0);
  t.deepEqual(await changed, gitStatus(repo));
  t.is(here, 1);
});
