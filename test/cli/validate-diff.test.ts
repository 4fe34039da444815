import test from 'ava';
import { chmodSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureRepo, FIXTURES } from '../loader/fixture-repo.ts';
import { runKradle } from '../support/kradle-cli.ts';

const kradle = (args: string[], cwd?: string) => runKradle(args, cwd ? { cwd } : {});

test('kradle validate: 0 on a valid repo (the current directory by default), 1 with every error printed', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const good = await kradle(['validate'], repo.dir);
  t.is(good.code, 0, good.stderr);
  t.regex(good.stdout, /^valid: [0-9a-f]{12}: 70 resources in \d+ files, orgs acme, globex, initech/);
  const below = await kradle(['validate'], `${repo.dir}/orgs/acme`);
  t.is(below.code, 0, `from a subdirectory, as git finds its repository: ${below.stderr}`);
  t.regex(below.stdout, /70 resources/);
  const broken = fixtureRepo('broken/many-errors-one-revision');
  t.teardown(broken.remove);
  const bad = await kradle(['validate', '--repo', broken.dir]);
  t.is(bad.code, 1);
  const lines = bad.stdout.trim().split('\n');
  t.deepEqual(lines.slice(0, -1).map((l) => l.split(' ')[0] + ' ' + l.split(' ')[1]), [
    'orgs/acme/teams/core.yml:3:1: YAML_SYNTAX',
    'orgs/acme/repositories/api.yaml:8:3: SCHEMA_VIOLATION',
    'orgs/acme/repositories/api.yaml:13:1: RUNTIME_KIND_IN_REPO',
    'orgs/acme/views/broken.yaml:7:3: DANGLING_REF',
  ]);
  t.regex(lines.at(-1)!, /^invalid: [0-9a-f]{12}: 4 errors$/);
});

test('kradle validate --rev and --format json; exit 2 on a usage or fetch error', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  repo.commit({ 'orgs/acme/stray.yaml': 'kind: Widget\n' });
  const old = await kradle(['validate', '--repo', repo.dir, '--rev', repo.first, '--format', 'json']);
  t.is(old.code, 0, old.stderr);
  const json = JSON.parse(old.stdout);
  t.is(json.revision, repo.first);
  t.is(json.kinds.AgentStack, 2);
  const now = await kradle(['validate', '--repo', repo.dir, '--path', 'orgs/acme', '--format', 'json']);
  t.is(now.code, 1);
  // --path loads only orgs/acme: the platform templates outside it are missing, as they would be for Kradle.
  t.deepEqual(JSON.parse(now.stdout).errors.map((e: { path: string; code: string }) => `${e.path} ${e.code}`), [
    'orgs/acme/policybindings/owner-label.yaml DANGLING_REF',
    'orgs/acme/policyprofiles/default.yaml DANGLING_REF',
    'orgs/acme/stray.yaml UNKNOWN_KIND',
  ]);
  t.is((await kradle(['validate', '--repo', repo.dir, '--format', 'xml'])).code, 2);
  const missing = await kradle(['validate', '--repo', `${repo.dir}/nothing-here`]);
  t.is(missing.code, 2);
  // A mistyped --repo names the path, not "selects no YAML file" as if it were an empty directory.
  t.is(missing.stderr.trim(), `kradle: NOT_FOUND: no directory or git repository at ${repo.dir}/nothing-here`);
  const missingJson = await kradle(['validate', '--repo', 'nothing-here', '--worktree', '--format', 'json'], repo.dir);
  t.is(missingJson.code, 2);
  t.like(JSON.parse(missingJson.stdout), { error: { code: 'NOT_FOUND', message: `no directory or git repository at ${join(repo.dir, 'nothing-here')}` } });
  t.is((await kradle(['validate', '--repo', repo.dir, '--rev', 'no-such-branch'])).code, 2);
  // `..` is joined onto the git directory: refs/heads/../../HEAD would read HEAD and validate it.
  const escape = await kradle(['validate', '--repo', repo.dir, '--rev', 'refs/heads/../../HEAD']);
  t.is(escape.code, 2);
  t.is(escape.stdout, '');
  t.regex(escape.stderr, /^kradle: BAD_REQUEST: revision "refs\/heads\/\.\.\/\.\.\/HEAD" is not a valid revision \(it holds "\.\."\)/);
});

test('--format json: a failure before validating (bad revision, damaged repo, bad flag) is one JSON error object on stdout, exit 2', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const json = async (args: string[], code: string) => {
    const out = await kradle(args);
    t.is(out.code, 2, out.stderr);
    const body = JSON.parse(out.stdout);
    t.deepEqual(Object.keys(body), ['error'], out.stdout);
    t.is(body.error.code, code, out.stdout);
    t.regex(out.stderr, /^kradle: /, 'the message stays on stderr for a reader');
    return body.error;
  };
  const rev = await json(['validate', '--repo', repo.dir, '--rev', 'no-such-branch', '--format', 'json'], 'NOT_FOUND');
  t.deepEqual(rev.details.map((d: { code: string }) => d.code), ['REVISION_NOT_FOUND']);
  await json(['diff', 'main', 'no-such-branch', '--repo', repo.dir, '--format=json'], 'NOT_FOUND');
  await json(['preview', '--base', 'main', '--head', 'no-such-branch', '--repo', repo.dir, '--format', 'json'], 'NOT_FOUND');
  await json(['validate', '--repo', repo.dir, '--no-such-flag', '--format', 'json'], 'BAD_REQUEST');
  const file = join(repo.dir, '.git/objects', repo.first.slice(0, 2), repo.first.slice(2));
  chmodSync(file, 0o644);
  writeFileSync(file, readFileSync(file).subarray(0, 10));
  const corrupt = await json(['validate', '--repo', repo.dir, '--format', 'json'], 'REPO_CORRUPT');
  t.true(corrupt.message.includes(repo.first), corrupt.message);
  // Text stays text: nothing on stdout.
  t.is((await kradle(['validate', '--repo', repo.dir])).stdout, '');
});

test('--format json: a usage error of validate, diff or preview, and a failed --post, is one JSON error object on stdout', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const usage = async (args: string[], message: RegExp, env: Record<string, string> = {}) => {
    const out = await runKradle(args, { env });
    t.is(out.code, 2, out.stderr);
    const { error } = JSON.parse(out.stdout);
    t.like(error, { code: 'BAD_REQUEST', details: [] }, out.stdout);
    t.regex(error.message, message);
    t.regex(out.stderr, /^kradle [a-z]+: /, 'the message and the usage stay on stderr');
  };
  await usage(['validate', 'stray', '--repo', repo.dir, '--format', 'json'], /^unexpected stray$/);
  await usage(['validate', '--worktree', '--rev', 'main', '--repo', repo.dir, '--format=json'], /takes no --rev/);
  await usage(['diff', 'main', '--repo', repo.dir, '--format', 'json'], /need BASE and HEAD/);
  await usage(['preview', '--base', 'main', '--repo', repo.dir, '--format', 'json'], /need --base and --head/);
  await usage(['preview', '--base', 'main', '--head', 'main', '--repo', repo.dir, '--format', 'json', '--post', 'http://127.0.0.1:1/o/r/pull/1'], /KRADLE_FORGE_TOKEN/, { KRADLE_FORGE_TOKEN: '' });
  // The preview is printed once it is posted: a forge that cannot be reached leaves only the error on stdout.
  const post = await runKradle(['preview', '--base', 'main', '--head', 'main', '--repo', repo.dir, '--format', 'json', '--post', 'http://127.0.0.1:1/o/r/pull/1'], { env: { KRADLE_FORGE_TOKEN: 'x' } });
  t.is(post.code, 2, post.stderr);
  t.is(JSON.parse(post.stdout).error.code, 'UPSTREAM_FAILED', post.stdout);
  // Text stays text.
  t.is((await kradle(['validate', 'stray', '--repo', repo.dir])).stdout, '');
});

test('kradle diff BASE HEAD: the field diff; HEAD errors exit 1', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const pool = 'orgs/acme/runnerpools/default.yaml';
  const text = readFileSync(`${FIXTURES}config-repo/${pool}`, 'utf8');
  const second = repo.commit({ [pool]: text.replace('maxReplicas: 8', 'maxReplicas: 10'), 'orgs/acme/kradleprojects/api-v2.yaml': null });
  const out = await kradle(['diff', repo.first, second, '--repo', repo.dir]);
  t.is(out.code, 0, out.stderr);
  t.regex(out.stdout, /0 created, 1 changed, 1 deleted, 68 unchanged/);
  t.regex(out.stdout, /~ RunnerPool\/kradle-org-acme\/default[^\n]*\n +~ \/spec\/maxReplicas: 8 -> 10/);
  t.regex(out.stdout, /- KradleProject\/kradle-org-acme\/api-v2/);
  const json = JSON.parse((await kradle(['diff', repo.first, 'main', '--repo', repo.dir, '--format', 'json'])).stdout);
  t.deepEqual(json.changed[0].changes, [{ pointer: '/spec/maxReplicas', op: 'replace', from: 8, to: 10 }]);
  const third = repo.commit({ [pool]: text.replace('maxReplicas: 8', 'maxReplicas: 1') });
  const bad = await kradle(['diff', second, third, '--repo', repo.dir]);
  t.is(bad.code, 1);
  t.regex(bad.stdout, /^orgs\/acme\/runnerpools\/default\.yaml:\d+:3: INVALID_VALUE warmReplicas \(2\) must not exceed maxReplicas \(1\)/);
  t.is((await kradle(['diff', second, '--repo', repo.dir])).code, 2);
});

test('kradle validate: a --path or --rev that selects no YAML file is exit 2, never "valid, 0 resources"', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const typo = await kradle(['validate', '--path', 'orgz'], repo.dir);
  t.is(typo.code, 2);
  t.is(typo.stderr, `kradle: BAD_REQUEST: --path orgz selects no YAML file in revision main (${repo.head().slice(0, 12)})\n  EMPTY_SELECTION no *.yaml or *.yml file\n`);
  t.is(typo.stdout, '');
  // A revision that exists but holds no YAML file (an empty branch) is as wrong as a mistyped path.
  repo.git('checkout', '-q', '--orphan', 'empty');
  repo.git('rm', '-rq', '--cached', '.');
  repo.git('commit', '-q', '--allow-empty', '-m', 'empty');
  repo.git('checkout', '-qf', 'main');
  const empty = await kradle(['validate', '--rev', 'empty'], repo.dir);
  t.is(empty.code, 2);
  t.regex(empty.stderr, /the config repo selects no YAML file in revision empty \([0-9a-f]{12}\)/);
  t.is(empty.stdout, '');
});

test('kradle validate of a plain directory, and --worktree, read the files on disk; HEAD of an edited working tree says what it left out', async (t) => {
  const plain = await kradle(['validate', '--repo', `${FIXTURES}config-repo`]);
  t.is(plain.code, 0, plain.stderr);
  t.regex(plain.stdout, /^valid: worktree:\S*: 70 resources/);
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const pool = 'orgs/acme/runnerpools/default.yaml';
  repo.write({ [pool]: 'apiVersion: kradle.a5c.ai/v1alpha1\nkind: RunnerPool\nmetadata: {name: default\n' });
  const committed = await kradle(['validate'], repo.dir);
  t.is(committed.code, 0, 'the commit is still valid');
  t.regex(committed.stdout, new RegExp(`^valid: ${repo.head().slice(0, 12)}: `));
  t.is(committed.stderr.trim(), `note: validated commit ${repo.head()} (main); 1 uncommitted YAML change was not included (${pool}): commit it, or validate the files on disk with kradle validate --worktree`);
  t.deepEqual(JSON.parse((await kradle(['validate', '--format', 'json'], repo.dir)).stdout).uncommitted, [pool]);
  t.is((await kradle(['validate', '--rev', 'main'], repo.dir)).stderr, '', 'an explicit --rev is what was asked for: no note');
  const disk = await kradle(['validate', '--worktree'], repo.dir);
  t.is(disk.code, 1);
  t.regex(disk.stdout, /runnerpools\/default\.yaml:\d+:\d+: YAML_SYNTAX/);
  repo.git('checkout', '--', pool);
  t.is((await kradle(['validate'], repo.dir)).stderr, '', 'a clean working tree: nothing left out, no note');
});

test('kradle validate of a large repository (parsed on workers, the working tree compared on one) names each uncommitted change', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const many: Record<string, string> = {};
  for (let i = 0; i < 700; i++) many[`orgs/acme/extra/x-${i}.yaml`] = `# ${i}\n`;
  repo.commit(many);
  const edited = 'orgs/acme/extra/x-1.yaml';
  const sameSize = 'orgs/acme/extra/x-5.yaml';
  const { mtime } = statSync(join(repo.dir, sameSize));
  repo.write({ [edited]: '# one\n', [sameSize]: '# 6\n', 'orgs/acme/extra/new.yaml': '# new\n', 'orgs/acme/extra/x-2.yaml': null });
  utimesSync(join(repo.dir, sameSize), mtime, mtime);
  const ran = await kradle(['validate'], repo.dir);
  t.is(ran.code, 0, ran.stdout);
  const listed = ['orgs/acme/extra/new.yaml', edited, 'orgs/acme/extra/x-2.yaml', sameSize].join(', ');
  t.is(ran.stderr.trim(), `note: validated commit ${repo.head()} (main); 4 uncommitted YAML changes were not included (${listed}): commit them, or validate the files on disk with kradle validate --worktree`);
  repo.git('checkout', '--', '.');
  repo.write({ 'orgs/acme/extra/new.yaml': null });
  t.is((await kradle(['validate'], repo.dir)).stderr, '', 'clean again: no note');
});

test('kradle diff with an invalid BASE exits 1 with its errors instead of showing every resource as created', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const good = repo.head();
  repo.commit({ 'orgs/acme/teams/broken.yaml': 'kind: Team\nmetadata: {name: [\n' }, 'break');
  const bad = repo.head();
  repo.commit({ 'orgs/acme/teams/broken.yaml': null }, 'fix');
  const ran = await kradle(['diff', bad, 'HEAD'], repo.dir);
  t.is(ran.code, 1);
  t.regex(ran.stdout, /orgs\/acme\/teams\/broken\.yaml:\d+:\d+: YAML_SYNTAX/);
  t.regex(ran.stdout, /invalid: BASE [0-9a-f]{12}/);
  t.notRegex(ran.stdout, /created/);
  t.is((await kradle(['diff', good, 'HEAD'], repo.dir)).code, 0);
});
