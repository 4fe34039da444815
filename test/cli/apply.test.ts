// `kradle apply -f` spawned as the real binary against a real `kradle serve` (plan-only, PGlite) writing to a
// real Git repository: one validated commit per file or none, unchanged when nothing changes, the author's
// text and comments kept in new files, and pull-request mode that says what it proposed.
import test from 'ava';
import type { RunningServer } from '../../src/server/server.ts';
import { runGit } from '../support/git-repo.ts';
import { runKradle } from '../support/kradle-cli.ts';
import { acmeRepo, startTestServer } from '../support/test-server.ts';

let bare: string;
let server: RunningServer;
let token: string;

test.before(async () => {
  bare = acmeRepo();
  ({ server, token } = await startTestServer({ repo: bare }));
});

test.after.always(async () => {
  await server?.close();
});

const kradle = (args: string[], stdin: string) => runKradle(args, { env: { KRADLE_SERVER: server.url, KRADLE_TOKEN: token }, stdin });

const git = (...args: string[]) => runGit(bare, args).trim();
const commits = () => Number(git('rev-list', '--count', 'main'));
const fileAt = (path: string, rev = 'main') => git('show', `${rev}:${path}`);

const TEAMS = `# Teams of the docs effort
apiVersion: kradle.a5c.ai/v1alpha1
kind: Team
metadata:
  name: docs   # keep it short
spec:
  organizationRef: acme
  displayName: 'Docs'
---
# the site team
apiVersion: kradle.a5c.ai/v1alpha1
kind: Team
metadata:
  name: site
spec:
  organizationRef: acme
  displayName: Site
`;

test.serial('a multi-document file is one commit; new files keep the text and comments as written', async (t) => {
  const before = commits();
  const res = await kradle(['apply', '-f', '-'], TEAMS);
  t.is(res.code, 0, res.stderr);
  t.is(commits(), before + 1, 'one commit for the whole file');
  const lines = res.stdout.trim().split('\n');
  t.regex(lines[0]!, /^Team\/docs created: commit [0-9a-f]{40} on main \(orgs\/acme\/teams\/docs\.yaml\)$/);
  t.regex(lines[1]!, /^Team\/site created: commit [0-9a-f]{40} on main \(orgs\/acme\/teams\/site\.yaml\)$/);
  t.is(fileAt('orgs/acme/teams/docs.yaml'), TEAMS.split('---\n')[0]!.trim(), 'the text as written, comments and quoting included');
  t.is(fileAt('orgs/acme/teams/site.yaml'), TEAMS.split('---\n')[1]!.trim());
});

test.serial('applying the same file again reports unchanged and makes no commit', async (t) => {
  const before = git('rev-parse', 'main');
  const res = await kradle(['apply', '-f', '-'], TEAMS);
  t.is(res.code, 0, res.stderr);
  t.deepEqual(res.stdout.trim().split('\n'), [
    'Team/docs unchanged (orgs/acme/teams/docs.yaml): no commit',
    'Team/site unchanged (orgs/acme/teams/site.yaml): no commit',
  ]);
  t.is(git('rev-parse', 'main'), before);
  const json = JSON.parse((await kradle(['apply', '-f', '-', '--format', 'json'], TEAMS)).stdout);
  t.deepEqual(json.map((o: { operation: string }) => o.operation), ['unchanged', 'unchanged']);
  t.false(json.some((o: { commit?: string }) => o.commit), 'no commit is cited for an unchanged document');
});

test.serial('an Organization is created by one commit, and applying it again is unchanged', async (t) => {
  const org = (slug: string, displayName: string) => `apiVersion: kradle.a5c.ai/v1alpha1\nkind: Organization\nmetadata:\n  name: ${slug}\nspec:\n  slug: ${slug}\n  displayName: ${displayName}\n`;
  const before = Number(commits());
  const same = await kradle(['apply', '-f', '-'], org('acme', 'ACME'));
  t.is(same.code, 0, same.stderr);
  t.is(same.stdout.trim(), 'Organization/acme unchanged: no commit');
  t.is(commits(), before);
  const created = await kradle(['apply', '-f', '-'], org('beta', 'Beta'));
  t.is(created.code, 0, created.stderr);
  t.regex(created.stdout, /^Organization\/beta created: commit [0-9a-f]+ on main/);
  t.is(commits(), before + 1);
  const again = await kradle(['apply', '-f', '-'], org('beta', 'Beta'));
  t.is(again.stdout.trim(), 'Organization/beta unchanged: no commit', again.stderr);
  t.is(commits(), before + 1);
});

test.serial('one invalid document of a file writes nothing: exit 1 with its errors, no commit', async (t) => {
  const before = git('rev-parse', 'main');
  const file = `kind: Team\nmetadata:\n  name: writers\nspec:\n  organizationRef: acme\n  displayName: Writers\n---\nkind: RunnerPool\nmetadata:\n  name: small\nspec:\n  organizationRef: acme\n  warmReplicas: 5\n  maxReplicas: 2\n`;
  const res = await kradle(['apply', '-f', '-'], file);
  t.is(res.code, 1);
  t.regex(res.stderr, /nothing was written/);
  t.regex(res.stderr, /warmReplicas/);
  t.is(res.stdout, '');
  t.is(git('rev-parse', 'main'), before, 'the valid document was not committed either');
  t.throws(() => fileAt('orgs/acme/teams/writers.yaml'));
});

test.serial('documents of several orgs, or config with runtime kinds, are refused before anything is sent', async (t) => {
  const before = git('rev-parse', 'main');
  const two = await kradle(['apply', '-f', '-'], 'kind: Team\nmetadata: {name: a}\nspec: {organizationRef: acme, displayName: A}\n---\nkind: Team\nmetadata: {name: b}\nspec: {organizationRef: globex, displayName: B}\n');
  t.is(two.code, 2);
  t.regex(two.stderr, /several orgs \(acme, globex\) cannot be one commit/);
  t.is(git('rev-parse', 'main'), before);
});

test.serial('--mode pull-request says what it proposed on which branch and how to preview it; main does not move', async (t) => {
  const before = git('rev-parse', 'main');
  const res = await kradle(['apply', '-f', '-', '--mode', 'pull-request'], 'kind: Team\nmetadata:\n  name: reviewers\nspec:\n  organizationRef: acme\n  displayName: Reviewers\n');
  t.is(res.code, 0, res.stderr);
  const [line, hint] = res.stdout.trim().split('\n');
  const m = /^Team\/reviewers proposed on branch (kradle\/write\/\S+) \(orgs\/acme\/teams\/reviewers\.yaml\)$/.exec(line!);
  t.truthy(m, line);
  t.notRegex(res.stdout, /configured|created/);
  t.is(hint, `preview it: kradle preview --base main --head ${m![1]} (or kradle diff main ${m![1]}) in a clone of the config repo, or POST /api/previews {"base":"main","head":"${m![1]}"}`);
  t.is(git('rev-parse', 'main'), before);
  t.regex(fileAt('orgs/acme/teams/reviewers.yaml', m![1]), /displayName: Reviewers/);
});

test.serial('POST /api/orgs/:org/resources of a document the repo already holds answers unchanged and makes no commit', async (t) => {
  const before = git('rev-parse', 'main');
  const body = { apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', metadata: { name: 'site' }, spec: { organizationRef: 'acme', displayName: 'Site' } };
  const res = await fetch(`${server.url}/api/orgs/acme/resources`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  t.is(res.status, 200);
  t.like(await res.json(), { operation: 'unchanged', path: 'orgs/acme/teams/site.yaml' });
  t.is(git('rev-parse', 'main'), before);
});

test.serial('a field the kind does not know is applied with a warning on stderr, as kradle validate prints it; stdout is unchanged', async (t) => {
  const doc = 'apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata:\n  name: ops\nspec:\n  organizationRef: acme\n  displayName: Ops\n  parentTeam: platform\n';
  const warning = 'orgs/acme/teams/ops.yaml:8:3: warning UNKNOWN_FIELD spec.parentTeam is not a field of Team; it is ignored\n';
  const res = await kradle(['apply', '-f', '-'], doc);
  t.is(res.code, 0, res.stderr);
  t.is(res.stderr, warning);
  t.regex(res.stdout, /^Team\/ops created: commit [0-9a-f]{40} on main \(orgs\/acme\/teams\/ops\.yaml\)\n$/);
  const json = await kradle(['apply', '-f', '-', '--format', 'json'], doc);
  t.is(json.code, 0, json.stderr);
  t.is(json.stderr, warning, 'unchanged, it still ignores the field');
  t.deepEqual(JSON.parse(json.stdout), [{ kind: 'Team', name: 'ops', org: 'acme', operation: 'unchanged', path: 'orgs/acme/teams/ops.yaml' }]);
});
