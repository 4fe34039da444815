import test from 'ava';
import { readFileSync } from 'node:fs';
import { fixtureRepo, FIXTURES } from '../loader/fixture-repo.ts';
import { runKradle } from '../support/kradle-cli.ts';

const TEAM = 'orgs/acme/teams/platform.yaml';
const withTypo = `${readFileSync(`${FIXTURES}config-repo/${TEAM}`, 'utf8')}  parentTeam: ghost\n`;

test('kradle validate prints an unknown spec field as a warning on stderr, with its line and column, and exits 0', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const clean = await runKradle(['validate', '--repo', repo.dir]);
  t.is(clean.code, 0);
  t.is(clean.stderr, '', 'the sample config repo has no warning');
  repo.commit({ [TEAM]: withTypo });
  const text = await runKradle(['validate', '--repo', repo.dir]);
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, /^valid: [0-9a-f]{12}: 70 resources/);
  t.is(text.stderr, `${TEAM}:11:3: warning UNKNOWN_FIELD spec.parentTeam is not a field of Team; it is ignored\n`);
  const json = await runKradle(['validate', '--repo', repo.dir, '--format', 'json']);
  t.is(json.code, 0, json.stderr);
  const body = JSON.parse(json.stdout);
  t.true(body.valid);
  t.deepEqual(body.errors, []);
  t.deepEqual(body.warnings, [
    { path: TEAM, line: 11, column: 3, code: 'UNKNOWN_FIELD', field: 'spec.parentTeam', message: 'spec.parentTeam is not a field of Team; it is ignored' },
  ]);
});

test('an invalid revision reports its warnings too, and still exits 1 for its errors alone', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  repo.commit({ [TEAM]: withTypo, 'orgs/acme/stray.yaml': 'kind: Widget\n' });
  const text = await runKradle(['validate', '--repo', repo.dir]);
  t.is(text.code, 1);
  t.regex(text.stdout, /orgs\/acme\/stray\.yaml:1:1: UNKNOWN_KIND/);
  t.regex(text.stderr, /platform\.yaml:11:3: warning UNKNOWN_FIELD spec\.parentTeam/);
  const json = JSON.parse((await runKradle(['validate', '--repo', repo.dir, '--format', 'json'])).stdout);
  t.false(json.valid);
  t.deepEqual(json.warnings.map((w: { field: string }) => w.field), ['spec.parentTeam']);
});

test("kradle diff prints head's warnings on stderr, and in its JSON as warnings", async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const base = repo.head();
  repo.commit({ [TEAM]: withTypo });
  const text = await runKradle(['diff', base, 'HEAD', '--repo', repo.dir]);
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, /0 created, 1 changed, 0 deleted/);
  t.is(text.stderr, `${TEAM}:11:3: warning UNKNOWN_FIELD spec.parentTeam is not a field of Team; it is ignored\n`);
  const json = await runKradle(['diff', base, 'HEAD', '--repo', repo.dir, '--format', 'json']);
  t.is(json.code, 0, json.stderr);
  t.is(json.stderr, '');
  t.deepEqual(JSON.parse(json.stdout).warnings.map((w: { field: string; line: number }) => [w.field, w.line]), [['spec.parentTeam', 11]]);
  const back = await runKradle(['diff', 'HEAD', base, '--repo', repo.dir]);
  t.is(back.stderr, '', "base's warnings are not head's");
});
