import test from 'ava';
import { join } from 'node:path';
import { writerPortFrom } from '../../src/api/index.ts';
import { createConfigWriter } from '../../src/writeback/index.ts';
import { client, makeToken, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSync, fakeWriter } from '../support/api-fakes.ts';
import { createTestRepo } from '../support/git-repo.ts';
import { testDrivers, uniqueName, type TestDriver } from '../support/store.ts';

for (const d of testDrivers(test)) suite(d);

function suite(d: TestDriver) {
  test(`${d.name}: resolving a runtime-kind conflict applies the value as a guarded store write and the sync state becomes Synced`, async (t) => {
    const store = await d.store();
    const org = uniqueName('rs');
    const ns = `kradle-org-${org}`;
    const config = fakeConfig([
      doc('Organization', org, org, { displayName: org, slug: org }),
      doc('ExternalBackendBinding', org, 'jira-b', { providerRef: 'jira', credentialRef: 'jira-cred' }),
    ]);
    const api = await startApi({ store, config, sync: fakeSync(), writer: fakeWriter(config) });
    const c = client(api.url, await makeToken(api.app, org, 'writer', 'alice'));
    const sync = (version: number, title: string) => c.post(`/api/orgs/${org}/external/sync`, { bindingName: 'jira-b', kind: 'Issue', localName: 'iss-1', spec: { title }, externalEnvelope: { id: 'J-1', version } });
    await sync(1, 'A');
    const local = (await store.resources.get('Issue', ns, 'iss-1'))!;
    await store.resources.update({ ...local, spec: { ...local.spec, title: 'edited here' } });
    const first = (await sync(2, 'B')).body.conflict;
    const second = (await sync(3, 'C')).body.conflict;

    const superseded = await c.post(`/api/orgs/${org}/external/conflicts/${first}/resolve`, { strategy: 'prefer-external' });
    t.is(superseded.status, 409);
    t.is((await store.resources.get('Issue', ns, 'iss-1'))!.spec.title, 'edited here');

    const resolved = await c.post(`/api/orgs/${org}/external/conflicts/${second}/resolve`, { strategy: 'prefer-external' });
    t.is(resolved.status, 200, JSON.stringify(resolved.body));
    t.like(resolved.body.conflict.status, { phase: 'Resolved', strategy: 'prefer-external', resolvedBy: 'alice' });
    t.is((await store.resources.get('Issue', ns, 'iss-1'))!.spec.title, 'C');
    t.like(resolved.body.state, { spec: { phase: 'Synced' }, status: { phase: 'Synced', lastOutcome: 'resolved' } });
    t.is((await c.post(`/api/orgs/${org}/external/conflicts/${second}/resolve`, { strategy: 'prefer-kradle' })).status, 409, 'already resolved');
    // Synced again: the next external change applies, as the local side no longer differs from the last agreed one.
    t.is((await sync(4, 'D')).body.outcome, 'applied');
    t.is((await store.resources.get('Issue', ns, 'iss-1'))!.spec.title, 'D');
    await api.close();
  });

  test(`${d.name}: resolving a config-kind conflict changes the config repo by exactly one commit; keep-local commits nothing`, async (t) => {
    const store = await d.store();
    const org = uniqueName('rc');
    const repo = createTestRepo();
    const team = (name: string) => `apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata:\n  name: ${name} # kept comment\nspec:\n  organizationRef: ${org}\n  displayName: Edited here\n`;
    repo.commit({ [`orgs/${org}/teams/core.yaml`]: team('core'), [`orgs/${org}/teams/ops.yaml`]: team('ops') }, 'seed');
    const writer = writerPortFrom(createConfigWriter({ gitdir: join(repo.dir, '.git'), branch: 'main', validate: async () => ({ errors: [], warnings: [] }) }));
    const config = fakeConfig([
      doc('Organization', org, org, { displayName: org, slug: org }),
      doc('Team', org, 'core', { displayName: 'Edited here' }),
      doc('Team', org, 'ops', { displayName: 'Edited here' }),
      doc('ExternalBackendBinding', org, 'gh-b', { providerRef: 'gh', credentialRef: 'gh-cred' }),
    ]);
    const api = await startApi({ store, config, sync: fakeSync(), writer });
    const c = client(api.url, await makeToken(api.app, org, 'writer', 'alice'));
    const sync = (name: string, version: number, displayName: string) => c.post(`/api/orgs/${org}/external/sync`, { bindingName: 'gh-b', kind: 'Team', localName: name, spec: { displayName }, externalEnvelope: { id: `T-${name}`, version } });
    // Never synced before and different locally: a conflict under the default (manual) policy.
    const conflict = (await sync('core', 1, 'From GitHub')).body;
    t.is(conflict.outcome, 'conflict');
    const before = repo.git('rev-parse', 'main');
    const resolved = await c.post(`/api/orgs/${org}/external/conflicts/${conflict.conflict}/resolve`, { strategy: 'manual', resolvedValue: { displayName: 'Agreed name' } });
    t.is(resolved.status, 200, JSON.stringify(resolved.body));
    t.is(repo.git('rev-parse', 'main'), resolved.body.commit);
    t.is(repo.git('rev-list', '--count', `${before}..main`), '1');
    const text = repo.git('show', `main:orgs/${org}/teams/core.yaml`);
    t.regex(text, /displayName: Agreed name/);
    t.regex(text, /# kept comment/);
    t.is(resolved.body.state.status.phase, 'Synced');
    t.is(await store.resources.get('Team', `kradle-org-${org}`, 'core'), undefined, 'a config kind never enters the store');

    const other = (await sync('ops', 1, 'From GitHub')).body;
    const tip = repo.git('rev-parse', 'main');
    const kept = await c.post(`/api/orgs/${org}/external/conflicts/${other.conflict}/resolve`, { strategy: 'prefer-kradle' });
    t.is(kept.status, 200);
    t.is(kept.body.commit, undefined);
    t.is(repo.git('rev-parse', 'main'), tip);
    t.is(kept.body.state.status.phase, 'Synced');
    await api.close();
    repo.remove();
  });
}
