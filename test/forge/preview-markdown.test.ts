// The pull-request comment: a golden file for a sample diff, prunes of deleted resources, and the size limit.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { previewProjector } from '../../src/cluster/index.ts';
import { createLoader } from '../../src/loader/index.ts';
import { buildPreview, previewMarkdown, COMMENT_LIMIT, type Preview } from '../../src/plan/index.ts';
import { fixtureRepo } from '../loader/fixture-repo.ts';

const GOLDEN = fileURLToPath(new URL('../../fixtures/golden/preview.md', import.meta.url));

const TEAM = `# The team that owns the platform repositories.
apiVersion: kradle.a5c.ai/v1alpha1
kind: Team
metadata:
  name: platform
spec:
  organizationRef: acme
  displayName: Platform Engineering
  members: [bob, alice]
  maintainers: [alice]
`;

const NEW_TEAM = `apiVersion: kradle.a5c.ai/v1alpha1
kind: Team
metadata:
  name: data
spec:
  organizationRef: acme
  displayName: Data
  members: [bob]
`;

/** The sample config repo, and a head that changes a team, adds one and deletes an SSH key. */
async function sample(t: { teardown(fn: () => void): void }, headFiles: Record<string, string | null>): Promise<Preview> {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const head = repo.commit(headFiles, 'a pull request');
  const loader = createLoader();
  const p = buildPreview({ base: 'main', head: 'feature' }, await loader.load(await repo.snapshot(repo.first)), await loader.load(await repo.snapshot(head)), previewProjector);
  // Commit ids change with every run: the golden file names fixed ones.
  return { ...p, baseRevision: '1111111111111111111111111111111111111111', headRevision: '2222222222222222222222222222222222222222' };
}

const CHANGES = { 'orgs/acme/teams/platform.yaml': TEAM, 'orgs/acme/teams/data.yaml': NEW_TEAM, 'orgs/acme/sshkeys/deploy-api.yaml': null };

test('the Markdown of a sample diff matches the golden file', async (t) => {
  const md = previewMarkdown(await sample(t, CHANGES), { fileUrl: (path, line) => `https://github.com/acme/config/blob/2222222/${path}#L${line}` });
  if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, md);
  t.is(md, readFileSync(GOLDEN, 'utf8'));
});

test('a deleted resource lists the objects it prunes; with prune disabled, the ones it keeps', async (t) => {
  const pruned = await sample(t, CHANGES);
  const key = pruned.deleted.find((r) => r.kind === 'SSHKey')!;
  t.deepEqual(key.objects.map((o) => [o.action, o.kind, o.name]), [['prune', 'SSHKey', 'deploy-api']]);
  t.regex(previewMarkdown(pruned), /prunes `SSHKey kradle-org-acme\/deploy-api`/);

  const keptBase = await sample(t, {});
  t.is(keptBase.deleted.length, 0);
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const annotated = readFileSync(`${repo.dir}/orgs/acme/sshkeys/deploy-api.yaml`, 'utf8').replace('  name: deploy-api\n', '  name: deploy-api\n  annotations:\n    kradle.a5c.ai/prune: disabled\n');
  const base = repo.commit({ 'orgs/acme/sshkeys/deploy-api.yaml': annotated }, 'keep its objects');
  const head = repo.commit({ 'orgs/acme/sshkeys/deploy-api.yaml': null }, 'delete it');
  const loader = createLoader();
  const kept = buildPreview({ base: 'a', head: 'b' }, await loader.load(await repo.snapshot(base)), await loader.load(await repo.snapshot(head)), previewProjector);
  t.deepEqual(kept.deleted[0]!.objects.map((o) => o.action), ['keep']);
  t.regex(previewMarkdown(kept), /keeps \(prune disabled\) `SSHKey kradle-org-acme\/deploy-api`/);
});

test('an invalid head shows positioned errors and no plan', async (t) => {
  const p = await sample(t, { 'orgs/acme/teams/platform.yaml': TEAM.replace('organizationRef: acme', 'organizationRef: nowhere') });
  t.false(p.valid);
  const md = previewMarkdown(p, { fileUrl: (path, line) => `https://forge/blob/x/${path}#L${line}` });
  t.regex(md, /❌ Kradle preview: invalid/);
  t.regex(md, /\[`orgs\/acme\/teams\/platform\.yaml:\d+:\d+`\]\(https:\/\/forge\/blob\/x\/orgs\/acme\/teams\/platform\.yaml#L\d+\)/);
});

test('a head with an unknown spec field stays valid and lists it under Warnings, linked to its line', async (t) => {
  const p = await sample(t, { 'orgs/acme/teams/platform.yaml': `${TEAM}  parentTeam: ghost\n` });
  t.true(p.valid);
  t.deepEqual(p.warnings.map((w) => [w.path, w.line, w.column, w.code, w.field]), [['orgs/acme/teams/platform.yaml', 11, 3, 'UNKNOWN_FIELD', 'spec.parentTeam']]);
  const md = previewMarkdown(p, { fileUrl: (path, line) => `https://forge/blob/x/${path}#L${line}` });
  t.regex(md, /^### ✅ Kradle preview: valid/m);
  t.true(md.includes('<details open><summary><b>Warnings (1)</b></summary>\n\n'
    + '- [`orgs/acme/teams/platform.yaml:11:3`](https://forge/blob/x/orgs/acme/teams/platform.yaml#L11) `UNKNOWN_FIELD` spec.parentTeam is not a field of Team; it is ignored\n'), md);
  // An invalid head shows its warnings too, after its errors.
  const invalid = await sample(t, { 'orgs/acme/teams/platform.yaml': `${TEAM.replace('organizationRef: acme', 'organizationRef: nowhere')}  parentTeam: ghost\n` });
  t.false(invalid.valid);
  const both = previewMarkdown(invalid);
  t.true(both.indexOf('Errors (1)') < both.indexOf('Warnings (1)'));
  // The sample diff of the golden file has none.
  t.deepEqual((await sample(t, CHANGES)).warnings, []);
});

test('a comment over the size limit is cut with a count of what was left out', async (t) => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 2500; i++) files[`orgs/acme/teams/t${i}.yaml`] = NEW_TEAM.replace('name: data', `name: t${String(i).padStart(4, '0')}`);
  const md = previewMarkdown(await sample(t, files));
  t.true(md.length <= COMMENT_LIMIT, `${md.length} characters`);
  const more = /_… and (\d+) more not shown/.exec(md);
  t.truthy(more);
  const shown = (md.match(/^- \*\*Team\*\* /gm) ?? []).length;
  t.is(shown + Number(more![1]), 2500);
  t.regex(md, /^### ✅ Kradle preview: valid — 2500 created, 0 changed, 0 deleted/m);
});
