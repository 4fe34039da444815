// `kradle preview` and `kradle diff --format markdown` from a CI job: the same comment, posted with --post.
import test from 'ava';
import { fixtureRepo } from '../loader/fixture-repo.ts';
import { startFakeForge } from '../support/fake-forge.ts';
import { runKradle } from '../support/kradle-cli.ts';

const kradle = (args: string[], env: Record<string, string> = {}) => runKradle(args, { env });

test('kradle preview prints the comment, posts it with --post and edits it on the next run', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  repo.git('checkout', '-q', '-b', 'feature');
  repo.commit({ 'orgs/acme/sshkeys/deploy-api.yaml': null }, 'remove the key');
  const forge = await startFakeForge();
  t.teardown(() => forge.close());

  const md = await kradle(['diff', 'main', 'feature', '--repo', repo.dir, '--format', 'markdown']);
  t.is(md.code, 0, md.stderr);
  t.regex(md.stdout, /^<!-- kradle-preview -->\n### ✅ Kradle preview: valid — 0 created, 0 changed, 1 deleted/);

  const args = ['preview', '--base', 'main', '--head', 'feature', '--repo', repo.dir, '--post', 'https://ghe.example/acme/config/pull/12', '--forge-api', forge.url];
  t.is((await kradle(args)).code, 2, 'no token: a usage error, nothing posted');
  t.is(forge.requests.length, 0);
  const env = { KRADLE_FORGE_TOKEN: 'ghp_cli-token' };
  const first = await kradle(args, env);
  t.is(first.code, 0, first.stderr);
  t.is(first.stdout, md.stdout, 'the same comment as kradle diff --format markdown');
  t.regex(first.stderr, /success status on [0-9a-f]{12}; comment \d+ created/);
  const second = await kradle(args, env);
  t.regex(second.stderr, /comment \d+ updated/);
  t.is(forge.allComments().length, 1);
  t.is(forge.allStatuses().length, 2);
  t.false(first.stdout.includes('ghp_cli-token') || first.stderr.includes('ghp_cli-token'));
});

test('kradle preview shows the warnings of head in the comment, in --format json and in the commit status', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  repo.git('checkout', '-q', '-b', 'feature');
  const team = 'orgs/acme/teams/platform.yaml';
  repo.commit({ [team]: `${repo.git('show', `main:${team}`)}\n  maintainer: [bob]\n` }, 'a typo');
  const md = await kradle(['preview', '--base', 'main', '--head', 'feature', '--repo', repo.dir]);
  t.is(md.code, 0, md.stderr);
  t.regex(md.stdout, /<b>Warnings \(1\)<\/b>[\s\S]*`orgs\/acme\/teams\/platform\.yaml:11:3` `UNKNOWN_FIELD` spec\.maintainer is not a field of Team; it is ignored/);
  const json = await kradle(['preview', '--base', 'main', '--head', 'feature', '--repo', repo.dir, '--format', 'json']);
  t.is(json.code, 0, json.stderr);
  t.deepEqual(JSON.parse(json.stdout).warnings.map((w: { field: string; line: number }) => [w.field, w.line]), [['spec.maintainer', 11]]);
  const forge = await startFakeForge();
  t.teardown(() => forge.close());
  const posted = await kradle(['preview', '--base', 'main', '--head', 'feature', '--repo', repo.dir, '--post', 'https://ghe.example/acme/config/pull/12', '--forge-api', forge.url], { KRADLE_FORGE_TOKEN: 'ghp_cli-token' });
  t.is(posted.code, 0, posted.stderr);
  t.regex(forge.allStatuses()[0]!.description, /^valid: .*; 1 warning\(s\)$/);
});

test('pull request addresses of GitHub, GitHub Enterprise and Gitea name their API', async (t) => {
  const { parsePullRequestUrl } = await import('../../src/forge/index.ts');
  t.like(parsePullRequestUrl('https://github.com/acme/config/pull/3'), { forge: 'github', api: 'https://api.github.com', owner: 'acme', repo: 'config', number: 3, web: 'https://github.com/acme/config' });
  t.like(parsePullRequestUrl('https://ghe.example/acme/config/pull/12'), { forge: 'github', api: 'https://ghe.example/api/v3' });
  t.like(parsePullRequestUrl('https://git.example/code/acme/config/pulls/9'), { forge: 'gitea', api: 'https://git.example/code/api/v1', owner: 'acme', web: 'https://git.example/code/acme/config' });
  t.throws(() => parsePullRequestUrl('https://bot:pw@github.com/acme/config/pull/3'), { message: /must not carry credentials/ });
  t.throws(() => parsePullRequestUrl('https://github.com/acme/config/issues/3'), { message: /not a pull request URL/ });
});
