import test from 'ava';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { runGit, tempDir } from '../support/git-repo.ts';
import { runKradle } from '../support/kradle-cli.ts';
import { orgDocs } from '../support/sync-harness.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

interface Started extends TestServer {
  stateDir: string;
  logs: Record<string, unknown>[];
}

function plainDir(files: Record<string, string>): string {
  const dir = tempDir('kradle-plain-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

async function start(repo: string, stateDir = tempDir('kradle-state-')): Promise<Started> {
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  // An hour-long poll: only the ref watch can make a push visible within the test.
  return { ...(await startTestServer({ repo, stateDir, logger })), stateDir, logs };
}

const api = (s: Started, method: string, path: string, body?: unknown) => s.api(method, path, body);

/** Waits for the synced revision without asking for a sync: the push alone must bring it. */
async function syncedWithoutAsking(s: Started, commit: string): Promise<number> {
  const started = Date.now();
  // A deadline in time, not a count of polls: on a loaded CI machine each poll itself can take a while.
  while (Date.now() - started < 60_000) {
    const { body } = await api(s, 'GET', '/api/sync');
    if (body?.syncedRevision === commit) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never synced to ${commit} within 60 s`);
}

const cloneCommandOf = (s: Started) => String(s.logs.find((l) => typeof l.clone === 'string')?.clone ?? '');

function cloneWith(command: string): string {
  const parent = tempDir('kradle-clone-');
  const args = command.split(' ').slice(1);
  runGit(parent, [args[0]!, '-q', ...args.slice(1), 'work']);
  return join(parent, 'work');
}

const team = (name: string) => ({
  apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', metadata: { name }, spec: { organizationRef: 'acme', displayName: name },
});

test.serial('a plain directory becomes a bare repository that the git CLI clones and pushes to, synced without a webhook', async (t) => {
  const s = await start(plainDir(orgDocs('acme')));
  t.teardown(() => s.server.close());
  const command = cloneCommandOf(s);
  t.regex(command, /^git clone \S+config-repo\.git$/);
  t.is(runGit(command.split(' ')[2]!, ['rev-parse', '--is-bare-repository']), 'true');

  const work = cloneWith(command);
  writeFileSync(join(work, 'orgs/acme/teams/pushed.yaml'), 'apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata: {name: pushed}\nspec: {organizationRef: acme, displayName: Pushed}\n');
  runGit(work, ['add', '-A']);
  runGit(work, ['commit', '-q', '-m', 'add a team by push']);
  runGit(work, ['push', '-q', 'origin', 'main']);
  const pushed = runGit(work, ['rev-parse', 'HEAD']);
  await syncedWithoutAsking(s, pushed);
  const got = await api(s, 'GET', '/api/orgs/acme/resources/Team/pushed');
  t.is(got.status, 200, JSON.stringify(got.body));
});

test.serial('a symbolic link of a plain directory is imported as git commits one, and refused as kradle validate of the directory refuses it', async (t) => {
  const dir = plainDir(orgDocs('acme'));
  symlinkSync('platform.yaml', join(dir, 'orgs/acme/teams/alias.yaml'));
  symlinkSync('teams', join(dir, 'orgs/acme/linked'));
  // Skipped by both, whatever it is (a shared install is often a link).
  symlinkSync(tempDir(), join(dir, 'node_modules'));
  const errorsOf = (errors: { code: string; path?: string }[]) => errors.map((e) => `${e.path} ${e.code}`).sort();
  const validated = await runKradle(['validate', '--repo', dir, '--format', 'json']);
  t.is(validated.code, 1, validated.stderr);
  const expected = ['orgs/acme/linked SYMLINK_NOT_SUPPORTED', 'orgs/acme/teams/alias.yaml SYMLINK_NOT_SUPPORTED'];
  t.deepEqual(errorsOf(JSON.parse(validated.stdout).errors), expected);

  const s = await start(dir);
  t.teardown(() => s.server.close());
  const bare = cloneCommandOf(s).split(' ')[2]!;
  t.deepEqual(runGit(bare, ['ls-tree', '-r', '--format=%(objectmode) %(path)', 'main']).split('\n').filter((l) => l.startsWith('120000')), ['120000 orgs/acme/linked', '120000 orgs/acme/teams/alias.yaml']);
  let sync: any;
  for (const started = Date.now(); Date.now() - started < 60_000 && sync?.state !== 'ValidationFailed'; ) {
    sync = (await api(s, 'GET', '/api/sync')).body;
    await new Promise((r) => setTimeout(r, 25));
  }
  t.is(sync.state, 'ValidationFailed', JSON.stringify(sync));
  t.deepEqual(errorsOf((await api(s, 'GET', '/api/orgs/acme/summary')).body.configErrors), expected);
});

test.serial('an API write followed by an operator commit and push loses nothing', async (t) => {
  const s = await start(plainDir(orgDocs('acme')));
  t.teardown(() => s.server.close());
  const work = cloneWith(cloneCommandOf(s));

  const created = await api(s, 'POST', '/api/orgs/acme/resources', team('from-api'));
  t.is(created.status, 201, JSON.stringify(created.body));

  // The operator's clone is behind: git refuses the push until the API's commit is merged in.
  writeFileSync(join(work, 'orgs/acme/teams/from-git.yaml'), 'apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata: {name: from-git}\nspec: {organizationRef: acme, displayName: Git}\n');
  runGit(work, ['add', '-A']);
  runGit(work, ['commit', '-q', '-m', 'add a team by git']);
  t.throws(() => runGit(work, ['push', '-q', 'origin', 'main']));
  runGit(work, ['pull', '-q', '--rebase', 'origin', 'main']);
  runGit(work, ['push', '-q', 'origin', 'main']);
  await syncedWithoutAsking(s, runGit(work, ['rev-parse', 'HEAD']));

  for (const name of ['from-api', 'from-git']) t.is((await api(s, 'GET', `/api/orgs/acme/resources/Team/${name}`)).status, 200, name);
});

test.serial('a state directory of an earlier version, with a non-bare config-repo, is moved to the bare repository with its history', async (t) => {
  const stateDir = tempDir('kradle-state-');
  const legacy = join(stateDir, 'config-repo');
  mkdirSync(legacy);
  runGit(legacy, ['init', '-q', '-b', 'main']);
  for (const [path, text] of Object.entries({ ...orgDocs('acme'), 'orgs/acme/teams/earlier.yaml': 'apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata: {name: earlier}\nspec: {organizationRef: acme, displayName: Earlier}\n' })) {
    mkdirSync(join(legacy, path, '..'), { recursive: true });
    writeFileSync(join(legacy, path), text);
  }
  runGit(legacy, ['add', '-A']);
  runGit(legacy, ['commit', '-q', '-m', 'an earlier API write']);
  const head = runGit(legacy, ['rev-parse', 'HEAD']);

  const s = await start(plainDir(orgDocs('acme')), stateDir);
  t.teardown(() => s.server.close());
  t.true(s.logs.some((l) => typeof l.migrated === 'string'));
  t.false(existsSync(legacy));
  t.true(existsSync(`${legacy}.old-worktree`));
  await syncedWithoutAsking(s, head);
  t.is((await api(s, 'GET', '/api/orgs/acme/resources/Team/earlier')).status, 200);
});
