// A pull_request webhook of the config repo: the head is previewed against the base and posted to the forge
// as a commit status and ONE comment, edited in place on each push.
import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import test from 'ava';
import pino from 'pino';
import { previewProjector } from '../../src/cluster/index.ts';
import { createPullRequestPreviews } from '../../src/forge/index.ts';
import { createLoader } from '../../src/loader/index.ts';
import { buildPreview } from '../../src/plan/index.ts';
import { createGitSource } from '../../src/source/index.ts';
import { client, startApi } from '../support/api-client.ts';
import { fakeConfig, fakeSync } from '../support/api-fakes.ts';
import { startFakeForge, type FakeForge } from '../support/fake-forge.ts';
import { testDrivers } from '../support/store.ts';
import { fixtureRepo } from '../loader/fixture-repo.ts';

const SECRET = 'hook-secret';
const FORGE_TOKEN = 'ghp_forge-token-never-logged';
const [driver] = testDrivers(test);

async function setup(t: { teardown(fn: () => void | Promise<void>): void }) {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const forge = await startFakeForge();
  t.teardown(() => forge.close());
  const source = createGitSource({ url: repo.dir });
  const loader = createLoader();
  const loadAt = async (rev: string) => loader.load(await source.snapshot(await source.resolve(rev)));
  const logged: string[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write: (chunk, _enc, done) => (logged.push(String(chunk)), done()) }));
  const pullRequestPreviews = createPullRequestPreviews({
    preview: async (base, head) => buildPreview({ base, head }, await loadAt(base), await loadAt(head), previewProjector),
    token: FORGE_TOKEN,
    logger,
  });
  const api = await startApi({ store: await driver!.store(), config: fakeConfig([]), sync: fakeSync(), gitWebhookSecret: SECRET, pullRequestPreviews, logger });
  t.teardown(() => api.close());
  return { repo, forge, api, logged };
}

function payload(forge: FakeForge, action: string, headSha: string, opts: { fork?: boolean } = {}) {
  return JSON.stringify({
    action,
    number: 7,
    pull_request: { number: 7, head: { sha: headSha, ref: 'feature', repo: { full_name: opts.fork ? 'mallory/config' : 'acme/config' } }, base: { ref: 'main', sha: 'x' } },
    repository: { full_name: 'acme/config', html_url: 'https://github.example/acme/config', url: `${forge.url}/repos/acme/config` },
  });
}

const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

async function send(api: { url: string }, body: string, signature = sign(body)) {
  return client(api.url).post('/api/webhooks/git', body, { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': `d-${Math.random()}`, 'x-hub-signature-256': signature });
}

async function until(cond: () => boolean) {
  for (let i = 0; i < 600 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
}

test('a valid pull request gets a success status and one comment; the next push edits that comment', async (t) => {
  const { repo, forge, api, logged } = await setup(t);
  repo.git('checkout', '-q', '-b', 'feature');
  const first = repo.commit({ 'orgs/acme/sshkeys/deploy-api.yaml': null }, 'remove the deploy key');
  const opened = await send(api, payload(forge, 'opened', first));
  t.is(opened.status, 202);
  t.like(opened.body, { event: 'pull_request', previewing: true, fork: false });
  await until(() => forge.allComments().length === 1 && forge.allStatuses().length === 1);
  t.like(forge.allStatuses()[0], { repo: 'acme/config', sha: first, state: 'success', context: 'kradle/preview' });
  const [comment] = forge.allComments();
  t.regex(comment!.body, /✅ Kradle preview: valid — 0 created, 0 changed, 1 deleted/);
  t.regex(comment!.body, /prunes `SSHKey kradle-org-acme\/deploy-api`/);
  t.true(forge.requests.every((r) => r.authorization === `Bearer ${FORGE_TOKEN}`));

  const second = repo.commit({ 'orgs/acme/views/failing-ci.yaml': null }, 'and the view');
  t.is((await send(api, payload(forge, 'synchronize', second))).status, 202);
  await until(() => forge.allStatuses().length === 2 && forge.requests.some((r) => r.method === 'PATCH'));
  t.is(forge.allComments().length, 1, 'the comment is updated in place, never a new one per push');
  t.regex(forge.allComments()[0]!.body, /valid — 0 created, 0 changed, 3 deleted/);
  t.is(forge.allStatuses()[1]!.sha, second);
  t.false(logged.join('').includes(FORGE_TOKEN), 'the forge token never reaches a log line');
});

test('an invalid head gets a failure status and a comment with positioned errors', async (t) => {
  const { repo, forge, api } = await setup(t);
  const broken = repo.commit({ 'orgs/acme/teams/platform.yaml': 'apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata: {name: platform}\nspec:\n  organizationRef: acme\n  displayName: [unclosed\n' }, 'broken');
  t.is((await send(api, payload(forge, 'reopened', broken))).status, 202);
  await until(() => forge.allComments().length === 1);
  t.is(forge.allStatuses()[0]!.state, 'failure');
  t.regex(forge.allStatuses()[0]!.description, /^invalid: \d+ error\(s\); first: orgs\/acme\/[\w/.-]+:\d+:\d+: [A-Z_]+ /);
  const body = forge.allComments()[0]!.body;
  t.regex(body, /\[`orgs\/acme\/teams\/platform\.yaml:\d+:\d+`\]\(https:\/\/github\.example\/acme\/config\/blob\/[0-9a-f]{40}\/orgs\/acme\/teams\/platform\.yaml#L\d+\)/);
});

test('a bad signature is refused and posts nothing; other actions and forks say what happens', async (t) => {
  const { repo, forge, api } = await setup(t);
  const head = repo.head();
  const body = payload(forge, 'opened', head);
  const bad = await send(api, body, sign(body + 'tampered'));
  t.is(bad.status, 401);
  const closed = await send(api, payload(forge, 'closed', head));
  t.is(closed.status, 202);
  t.false(closed.body.previewing);
  t.regex(closed.body.reason, /does not change the head/);
  const fork = await send(api, payload(forge, 'opened', head, { fork: true }));
  t.like(fork.body, { previewing: true, fork: true });
  await until(() => forge.allComments().length === 1);
  t.is(forge.requests.filter((r) => r.method === 'POST' && r.path.includes('/statuses/')).length, 1, 'only the forked pull request was posted');
});
