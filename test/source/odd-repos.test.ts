// Repositories and documents shaped the way real ones are and tidy fixtures are not: linked worktrees,
// borrowed objects, shallow clones, damaged objects and refs, unborn branches, foreign encodings.
import test from 'ava';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { command as render } from '../../src/cli/commands/render.ts';
import { formatCliError } from '../../src/cli/output.ts';
import { BadRequestError, NotFoundError } from '../../src/errors/index.ts';
import { createLoader, type LoadResult } from '../../src/loader/index.ts';
import { createGitSource, snapshotWorktree } from '../../src/source/index.ts';
import { createTestRepo, damagePackedObject, runGit, tempDir, type TestRepo } from '../support/git-repo.ts';
import { runKradle } from '../support/kradle-cli.ts';

const ORG = 'apiVersion: kradle.a5c.ai/v1alpha1\nkind: Organization\nmetadata:\n  name: acme\nspec:\n  displayName: Acme\n  namespaceName: kradle-org-acme\n';
const team = (name: string, displayName = name) =>
  `apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata:\n  name: ${name}\nspec:\n  organizationRef: acme\n  displayName: ${displayName}\n`;

function seeded(t: { teardown(fn: () => void): void }, files: Record<string, string> = {}): { repo: TestRepo; first: string } {
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  const first = repo.commit({ 'orgs/acme/organization.yaml': ORG, 'orgs/acme/teams/core.yaml': team('core'), ...files }, 'seed');
  return { repo, first };
}

function scratch(t: { teardown(fn: () => void): void }): string {
  const dir = tempDir('kradle-odd-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function loadAt(url: string, rev?: string): Promise<LoadResult> {
  const source = createGitSource({ url });
  return createLoader().load(await source.snapshot(await source.resolve(rev ?? source.ref)));
}

const codeOf = (err: unknown) => (err as { code?: string } | undefined)?.code;

test('a linked worktree (git worktree add) is read through its common git directory, HEAD being its own', async (t) => {
  const { repo, first } = seeded(t);
  const wt = join(scratch(t), 'wt');
  repo.git('worktree', 'add', '-q', '-b', 'feature/x', wt);
  writeFileSync(join(wt, 'orgs/acme/teams/extra.yaml'), team('extra'));
  runGit(wt, ['add', '-A']);
  runGit(wt, ['commit', '-q', '-m', 'in the worktree']);
  const second = runGit(wt, ['rev-parse', 'HEAD']);
  const source = createGitSource({ url: wt });
  t.is(source.ref, 'feature/x');
  t.is((await source.fetch()).commit, second);
  t.is(await source.resolve('HEAD'), second, 'HEAD is the worktree\'s, not the main checkout\'s');
  t.is(await source.resolve('main'), first);
  const loaded = await loadAt(wt);
  t.true(loaded.ok && loaded.state.get('Team', 'acme', 'extra') !== undefined);
  runGit(wt, ['checkout', '-q', '--detach', first]);
  t.is(await createGitSource({ url: wt }).resolve('HEAD'), first, 'a detached worktree HEAD is its commit');
});

test('a .git that leads to no git directory (moved worktree, empty or HEAD-less .git) is NOT_FOUND saying why, not a raw ENOENT', async (t) => {
  const { repo } = seeded(t);
  const dir = scratch(t);
  const wt = join(dir, 'wt');
  repo.git('worktree', 'add', '-q', '-b', 'feature/x', wt);
  // The main checkout moved: the worktree's .git file still names its old git directory.
  renameSync(repo.dir, join(dir, 'moved'));
  mkdirSync(repo.dir);
  const empty = join(dir, 'empty');
  mkdirSync(join(empty, '.git'), { recursive: true });
  const headless = join(dir, 'headless');
  runGit(dir, ['clone', '-q', join(dir, 'moved'), headless]);
  rmSync(join(headless, '.git/HEAD'));
  const cases: [string, RegExp][] = [
    [wt, /its \.git file points to .*\.git\/worktrees\/wt, which does not exist .*git worktree repair/],
    [empty, /its \.git directory has no HEAD file/],
    [headless, /its \.git directory has no HEAD file/],
  ];
  for (const [at, why] of cases) {
    const err = t.throws(() => createGitSource({ url: at }), { instanceOf: NotFoundError });
    t.regex(err!.message, new RegExp(`^no git repository at ${at}: ${why.source}`));
    const cli = await runKradle(['validate', '--repo', at]);
    t.is(cli.code, 2);
    t.regex(cli.stderr, /^kradle: NOT_FOUND: no git repository at /, cli.stderr);
  }
});

test('a SHA-256 repository is REPO_UNSUPPORTED saying so, not a "damaged ref"; its files on disk still validate', async (t) => {
  const dir = scratch(t);
  runGit(dir, ['init', '-q', '-b', 'main', '--object-format=sha256']);
  writeFileSync(join(dir, 'organization.yaml'), ORG);
  runGit(dir, ['add', '-A']);
  runGit(dir, ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-q', '-m', 'seed']);
  const err = t.throws(() => createGitSource({ url: dir }));
  t.is(codeOf(err), 'REPO_UNSUPPORTED');
  t.regex(err!.message, /uses the sha256 object format.*SHA-1/);
  const cli = await runKradle(['validate', '--repo', dir]);
  t.is(cli.code, 2);
  t.regex(cli.stderr, /^kradle: REPO_UNSUPPORTED: /);
  t.is((await runKradle(['validate', '--repo', dir, '--worktree'])).code, 0, 'the files on disk need no object database');
});

test('git revision suffixes: main~1, HEAD^, tag^0', async (t) => {
  const { repo, first } = seeded(t);
  const second = repo.commit({ 'orgs/acme/teams/b.yaml': team('b') });
  repo.tag('v2', { annotated: true });
  const source = createGitSource({ url: repo.dir });
  t.is(await source.resolve('main~1'), first);
  t.is(await source.resolve('HEAD^'), first);
  t.is(await source.resolve('v2^0'), second);
  t.is(await source.resolve(`${second.slice(0, 8)}~`), first);
  const err = await t.throwsAsync(source.resolve('main~5'), { instanceOf: NotFoundError });
  t.regex(err!.message, /main~5.*has no parent/);
});

test('a damaged commit object is REPO_CORRUPT naming it, not "revision not found"', async (t) => {
  const { repo, first } = seeded(t);
  const file = join(repo.dir, '.git/objects', first.slice(0, 2), first.slice(2));
  chmodSync(file, 0o644);
  writeFileSync(file, readFileSync(file).subarray(0, 10));
  const err = await t.throwsAsync(createGitSource({ url: repo.dir }).resolve('main'));
  t.is(codeOf(err), 'REPO_CORRUPT');
  t.true(err!.message.includes(first), err!.message);
  t.notRegex(err!.message, /please report|isomorphic-git/, 'the library\'s bug-report boilerplate is dropped');
  t.regex(formatCliError(err), /^kradle: REPO_CORRUPT: commit /, 'the CLI line leads with the code');
});

test('a damaged packed blob is REPO_CORRUPT naming the object and its pack, not a bare zlib error', async (t) => {
  const { repo, first } = seeded(t);
  const oid = repo.git('rev-parse', `${first}:orgs/acme/teams/core.yaml`);
  const { pack } = damagePackedObject(repo, oid, ['--aggressive']);
  const snapshot = await createGitSource({ url: repo.dir }).snapshot(first);
  const err = await t.throwsAsync(snapshot.readBlob(oid));
  t.is(codeOf(err), 'REPO_CORRUPT');
  t.true(err!.message.includes(oid) && err!.message.includes(pack), err!.message);
});

test('a damaged or missing pack index is named, with how to rebuild it, not a JavaScript TypeError', async (t) => {
  const damaged = async (damage: (idx: string) => void) => {
    const { repo } = seeded(t);
    repo.git('gc', '-q', '--prune=now');
    const packDir = join(repo.dir, '.git/objects/pack');
    const idx = readdirSync(packDir).find((n) => n.endsWith('.idx'))!;
    chmodSync(join(packDir, idx), 0o644);
    damage(join(packDir, idx));
    const err = await t.throwsAsync(createGitSource({ url: repo.dir }).resolve('main'));
    return { err: err!, idx, pack: idx.replace(/\.idx$/, '.pack') };
  };
  const cases: [string, (idx: string) => void][] = [
    ['truncated', (idx) => writeFileSync(idx, readFileSync(idx).subarray(0, 100))],
    ['overwritten', (idx) => writeFileSync(idx, Buffer.alloc(2000, 0x5a))],
  ];
  for (const [name, damage] of cases) {
    const { err, idx, pack } = await damaged(damage);
    t.is(codeOf(err), 'REPO_CORRUPT', `${name}: ${err.message}`);
    t.true(err.message.includes(`pack index ${idx} is damaged`) && new RegExp(`git index-pack /.*/objects/pack/${pack}`).test(err.message), `${name}: ${err.message}`);
    t.notRegex(err.message, /Cannot read properties|out of range/, name);
  }
  const { err, pack } = await damaged((idx) => rmSync(idx));
  t.true(err instanceof NotFoundError, err.message);
  t.true(err.message.includes(`${pack} has no index`), err.message);
});

test('a ref file holding garbage says so instead of "not a branch"', async (t) => {
  const { repo } = seeded(t);
  writeFileSync(join(repo.dir, '.git/refs/heads/broken'), 'garbage\n');
  const err = await t.throwsAsync(createGitSource({ url: repo.dir }).resolve('broken'), { instanceOf: NotFoundError });
  t.regex(err!.message, /refs\/heads\/broken holds "garbage".*damaged/);
  // A path out of the git directory is no revision name: refused before any file is read.
  const outside = await t.throwsAsync(createGitSource({ url: repo.dir }).resolve('refs/../../../etc/hostname'), { instanceOf: BadRequestError });
  t.regex(outside!.message, /is not a valid revision/);
});

test('a repository without commits, and a HEAD branch without commits next to one with them, say so', async (t) => {
  const empty = createTestRepo();
  t.teardown(() => empty.remove());
  const none = await t.throwsAsync(createGitSource({ url: empty.dir }).fetch(), { instanceOf: NotFoundError });
  t.regex(none!.message, /has no commits yet/);
  const { repo } = seeded(t);
  const bare = join(scratch(t), 'mirror.git');
  runGit(repo.dir, ['clone', '-q', '--bare', repo.dir, bare]);
  runGit(bare, ['symbolic-ref', 'HEAD', 'refs/heads/master']);
  const unborn = await t.throwsAsync(createGitSource({ url: bare }).fetch(), { instanceOf: NotFoundError });
  t.regex(unborn!.message, /HEAD names branch master, which has no commits yet \(branches: main\)/);
});

test('kradle render --rev renders that revision even when the HEAD branch has no commits', async (t) => {
  const { repo } = seeded(t);
  const bare = join(scratch(t), 'mirror.git');
  runGit(repo.dir, ['clone', '-q', '--bare', repo.dir, bare]);
  runGit(bare, ['symbolic-ref', 'HEAD', 'refs/heads/master']);
  const out = join(scratch(t), 'out');
  const log = console.log;
  console.log = () => {};
  try {
    t.is(await render.run(['--repo', bare, '--rev', 'main', '--out', out]), 0);
  } finally {
    console.log = log;
  }
  t.true(readdirSync(out).some((f) => f.includes('team-kradle-org-acme-core')));
});

test('a commit outside a shallow clone, and objects borrowed through alternates, are named as such', async (t) => {
  const { repo, first } = seeded(t);
  repo.commit({ 'orgs/acme/teams/b.yaml': team('b') });
  const dir = scratch(t);
  runGit(dir, ['clone', '-q', '--depth', '1', `file://${repo.dir}`, 'shallow']);
  const shallow = createGitSource({ url: join(dir, 'shallow') });
  t.true((await loadAt(join(dir, 'shallow'))).ok, 'the tip of a shallow clone loads');
  for (const rev of [first, 'HEAD~1']) {
    const err = await t.throwsAsync(shallow.resolve(rev), { instanceOf: NotFoundError });
    t.regex(err!.message, new RegExp(`commit ${first} is not in the config repository: the repository is a shallow clone`));
  }
  runGit(dir, ['clone', '-q', '--shared', repo.dir, 'shared']);
  const err = await t.throwsAsync(createGitSource({ url: join(dir, 'shared') }).resolve('main'), { instanceOf: NotFoundError });
  t.regex(err!.message, /points to commit [0-9a-f]{40}, which is not in the config repository: .*objects\/info\/alternates/);
});

test('a blob a partial clone (--filter=blob:none) did not fetch is NOT_FOUND naming the file, the partial clone and how to fetch it', async (t) => {
  const { repo, first } = seeded(t);
  repo.commit({ 'orgs/acme/teams/core.yaml': team('core', 'Core, renamed') });
  repo.git('config', 'uploadpack.allowFilter', 'true');
  const dir = scratch(t);
  runGit(dir, ['clone', '-q', '--filter=blob:none', `file://${repo.dir}`, 'partial']);
  const partial = join(dir, 'partial');
  t.true((await loadAt(partial)).ok, 'the checked-out tip has its blobs');
  const old = repo.git('rev-parse', `${first}:orgs/acme/teams/core.yaml`);
  const err = await t.throwsAsync(loadAt(partial, first), { instanceOf: NotFoundError });
  t.regex(err!.message, new RegExp(`^orgs/acme/teams/core.yaml: blob ${old} not found in the config repository: the repository is a partial clone .*git fetch --refetch --no-filter`));
  const cli = await runKradle(['validate', '--repo', partial, '--rev', first]);
  t.is(cli.code, 2);
  t.regex(cli.stderr, /^kradle: NOT_FOUND: orgs\/acme\/teams\/core.yaml: blob [0-9a-f]{40} not found in the config repository: the repository is a partial clone/);
});

test('a tag of a tree is "not a commit", not "not found"', async (t) => {
  const { repo } = seeded(t);
  repo.git('tag', 'treetag', 'HEAD^{tree}');
  const err = await t.throwsAsync(createGitSource({ url: repo.dir }).resolve('treetag'), { instanceOf: NotFoundError });
  t.regex(err!.message, /names a tree .*not a commit/);
});

test('UTF-16 files (with or without a byte order mark) and UTF-8 with a BOM and CRLF load', async (t) => {
  const utf16le = Buffer.from(`\ufeff${team('le', 'Café')}`, 'utf16le');
  const utf16be = Buffer.from(team('be', 'Café'), 'utf16le').swap16();
  const { repo } = seeded(t);
  repo.write({ 'orgs/acme/teams/bom.yaml': `\ufeff${team('bom').replace(/\n/g, '\r\n')}` });
  writeFileSync(join(repo.dir, 'orgs/acme/teams/le.yaml'), utf16le);
  writeFileSync(join(repo.dir, 'orgs/acme/teams/be.yaml'), utf16be);
  repo.commit({});
  const r = await loadAt(repo.dir);
  if (!r.ok) return t.fail(JSON.stringify(r.errors));
  t.is(r.state.get('Team', 'acme', 'le')?.object.spec.displayName, 'Café');
  t.is(r.state.get('Team', 'acme', 'be')?.object.spec.displayName, 'Café');
  t.is(r.state.get('Team', 'acme', 'bom')?.object.spec.displayName, 'bom');
});

test('a file with classic Mac line ends (CR alone, a YAML line break) loads, and its errors are at their lines', async (t) => {
  const { repo } = seeded(t);
  repo.commit({
    'orgs/acme/teams/mac.yaml': team('mac', 'Mac').replace(/\n/g, '\r'),
    'orgs/acme/teams/bad.yaml': team('Bad').replace(/\n/g, '\r'),
  });
  const r = await loadAt(repo.dir);
  t.false(r.ok);
  if (r.ok) return;
  t.deepEqual(r.errors.map((e) => `${e.path}:${e.line}:${e.column}: ${e.code}`), ['orgs/acme/teams/bad.yaml:4:3: SCHEMA_VIOLATION']);
  repo.commit({ 'orgs/acme/teams/bad.yaml': null });
  const ok = await loadAt(repo.dir);
  if (!ok.ok) return t.fail(JSON.stringify(ok.errors));
  t.is(ok.state.get('Team', 'acme', 'mac')?.object.spec.displayName, 'Mac');
});

test('bytes that are not UTF-8 are a YAML_SYNTAX error at their line and column, not silently replaced', async (t) => {
  const { repo } = seeded(t);
  writeFileSync(join(repo.dir, 'orgs/acme/teams/latin1.yaml'), Buffer.from(team('latin', 'Café'), 'latin1'));
  repo.commit({});
  const r = await loadAt(repo.dir);
  t.false(r.ok);
  if (r.ok) return;
  t.deepEqual(r.errors.map((e) => `${e.path}:${e.line}:${e.column}: ${e.code}`), ['orgs/acme/teams/latin1.yaml:7:19: YAML_SYNTAX']);
  t.regex(r.errors[0]!.message, /not valid UTF-8 \(byte 0xe9\)/);
});

test('merge keys (<<) are merged as Kubernetes tooling reads them, not kept as a "<<" field', async (t) => {
  const { repo } = seeded(t);
  repo.commit({
    'orgs/acme/teams/merged.yaml':
      'apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata:\n  name: merged\nspec:\n  x-defaults: &d\n    organizationRef: acme\n    displayName: From defaults\n    description: inherited\n  <<: *d\n  displayName: Own\n',
  });
  const r = await loadAt(repo.dir);
  if (!r.ok) return t.fail(JSON.stringify(r.errors));
  const spec = r.state.get('Team', 'acme', 'merged')!.object.spec;
  t.is(spec.displayName, 'Own');
  t.is(spec.description, 'inherited');
  t.false('<<' in spec);
});

test('an alias to an anchor of another document is reported at the alias', async (t) => {
  const { repo } = seeded(t);
  repo.commit({ 'orgs/acme/teams/two.yaml': `${team('one').replace('spec:', 'spec: &s')}---\n${team('two').replace(/spec:\n[\s\S]*$/, 'spec: *s\n')}` });
  const r = await loadAt(repo.dir);
  t.false(r.ok);
  if (r.ok) return;
  t.deepEqual(r.errors.map((e) => `${e.path}:${e.line}:${e.column}: ${e.code}`), ['orgs/acme/teams/two.yaml:13:7: YAML_SYNTAX']);
});

test('a symlinked directory is SYMLINK_NOT_SUPPORTED, in Git and in a working tree, not silently passed over', async (t) => {
  const { repo } = seeded(t);
  writeFileSync(join(repo.dir, 'README.md'), 'not config');
  symlinkSync('teams', join(repo.dir, 'orgs/acme/linked'));
  symlinkSync('../../README.md', join(repo.dir, 'orgs/acme/notes.md'));
  repo.git('add', '-A');
  repo.git('commit', '-q', '-m', 'link a directory');
  const fromGit = await loadAt(repo.dir);
  const fromDisk = await createLoader().load(await snapshotWorktree(repo.dir));
  for (const loaded of [fromGit, fromDisk]) {
    t.false(loaded.ok);
    if (!loaded.ok) t.deepEqual(loaded.errors.map((e) => [e.path, e.code]), [['orgs/acme/linked', 'SYMLINK_NOT_SUPPORTED']], 'a link to a file of another kind is passed over');
  }
});
