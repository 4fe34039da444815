import test from 'ava';
import { ConflictError, NotFoundError, ValidationError, BadRequestError } from '../../src/errors/index.ts';
import { pullRequest, testDrivers, uniqueName } from '../support/store.ts';

for (const d of testDrivers(test)) {
  test(`${d.name}: create sets server metadata; get returns it; a second create conflicts`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    const created = await store.resources.create(pullRequest(org, 'pr-1', { team: 'web' }));
    t.is(created.metadata.namespace, `kradle-org-${org}`);
    t.regex(created.metadata.uid, /^[0-9a-f-]{36}$/);
    t.regex(created.metadata.resourceVersion, /^\d+$/);
    t.is(created.metadata.generation, 1);
    t.deepEqual(created.metadata.labels, { team: 'web' });
    t.deepEqual(await store.resources.get('PullRequest', `kradle-org-${org}`, 'pr-1'), created);
    t.is(await store.resources.get('PullRequest', `kradle-org-${org}`, 'missing'), undefined);
    await t.throwsAsync(store.resources.create(pullRequest(org, 'pr-1')), { instanceOf: ConflictError });
  });

  test(`${d.name}: update is guarded by resourceVersion, bumps generation only on spec change`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    const v1 = await store.resources.create(pullRequest(org, 'pr'));
    const v2 = await store.resources.update({ ...v1, spec: { ...v1.spec, title: 'renamed' } });
    t.is(v2.metadata.generation, 2);
    t.true(BigInt(v2.metadata.resourceVersion) > BigInt(v1.metadata.resourceVersion));
    t.is(v2.metadata.uid, v1.metadata.uid);
    const stale = await t.throwsAsync(store.resources.update({ ...v1, spec: { ...v1.spec, title: 'lost' } }), { instanceOf: ConflictError });
    t.is(stale?.status, 409);
    const { resourceVersion: _rv, ...noRv } = v2.metadata;
    await t.throwsAsync(store.resources.update({ ...v2, metadata: noRv }), { instanceOf: ConflictError });
    const v3 = await store.resources.updateStatus({ ...v2, status: { phase: 'Open' } });
    t.is(v3.metadata.generation, 2, 'status does not bump generation');
    t.deepEqual(v3.status, { phase: 'Open' });
    t.is(v3.spec.title, 'renamed');
    const v4 = await store.resources.update({ ...v3, metadata: { ...v3.metadata, labels: { a: 'b' } }, status: { phase: 'ignored' } });
    t.is(v4.metadata.generation, 2, 'labels do not bump generation');
    t.deepEqual(v4.status, { phase: 'Open' }, 'update leaves status alone');
    t.deepEqual(await store.resources.update(v4), v4, 'a no-op update writes nothing');
    await t.throwsAsync(store.resources.update(pullRequest(uniqueName('org'), 'nope') as never), { instanceOf: ConflictError });
    const ghost = { ...pullRequest(uniqueName('org'), 'ghost'), metadata: { name: 'ghost', resourceVersion: '1' } };
    await t.throwsAsync(store.resources.update(ghost), { instanceOf: NotFoundError });
  });

  test(`${d.name}: delete, guarded and unguarded`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    const ns = `kradle-org-${org}`;
    const a = await store.resources.create(pullRequest(org, 'a'));
    await store.resources.create(pullRequest(org, 'b'));
    await t.throwsAsync(store.resources.delete('PullRequest', ns, 'a', { resourceVersion: '1' }), { instanceOf: ConflictError });
    t.true(await store.resources.delete('PullRequest', ns, 'a', { resourceVersion: a.metadata.resourceVersion }));
    t.true(await store.resources.delete('PullRequest', ns, 'b'));
    t.false(await store.resources.delete('PullRequest', ns, 'b'));
    t.is(await store.resources.get('PullRequest', ns, 'a'), undefined);
  });

  test(`${d.name}: 50 concurrent guarded updates with retry on conflict lose no update`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    const ns = `kradle-org-${org}`;
    await store.resources.create(pullRequest(org, 'counter', {}, { count: 0 }));
    let successes = 0;
    let conflicts = 0;
    const increment = async () => {
      for (;;) {
        const cur = (await store.resources.get('PullRequest', ns, 'counter'))!;
        try {
          await store.resources.update({ ...cur, spec: { ...cur.spec, count: (cur.spec.count as number) + 1 } });
          successes++;
          return;
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
          conflicts++;
        }
      }
    };
    await Promise.all(Array.from({ length: 50 }, increment));
    const final = (await store.resources.get('PullRequest', ns, 'counter'))!;
    t.is(successes, 50);
    t.is(final.spec.count, successes);
    t.is(final.metadata.generation, 51);
    t.log(`${conflicts} conflicts retried`);
  });

  test(`${d.name}: label selectors, equality and set-based`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    const namespace = `kradle-org-${org}`;
    await store.resources.create(pullRequest(org, 'p1', { env: 'prod', tier: 'web' }));
    await store.resources.create(pullRequest(org, 'p2', { env: 'dev', tier: 'web' }));
    await store.resources.create(pullRequest(org, 'p3', { env: 'qa' }));
    await store.resources.create(pullRequest(org, 'p4', {}));
    const names = async (labelSelector: string) =>
      (await store.resources.list('PullRequest', { namespace, labelSelector })).items.map((r) => r.metadata.name);
    const cases: [string, string[]][] = [
      ['', ['p1', 'p2', 'p3', 'p4']],
      ['env=prod', ['p1']],
      ['env==prod', ['p1']],
      ['env!=prod', ['p2', 'p3', 'p4']],
      ['env in (prod, qa)', ['p1', 'p3']],
      ['env notin (prod,qa)', ['p2', 'p4']],
      ['tier', ['p1', 'p2']],
      ['!tier', ['p3', 'p4']],
      ['tier=web,env!=dev', ['p1']],
      ['env in (dev),tier', ['p2']],
      ['env=nope', []],
    ];
    for (const [selector, expected] of cases) t.deepEqual(await names(selector), expected, selector);
    for (const bad of ['env in prod', 'a b', 'env=(x)', ',', '=x']) {
      await t.throwsAsync(names(bad), { instanceOf: BadRequestError }, bad);
    }
    const other = await store.resources.list('PullRequest', { namespace: `kradle-org-${uniqueName('org')}` });
    t.deepEqual(other.items, [], 'other namespaces are not listed');
  });

  test(`${d.name}: paging with limit and continue visits every item once, in order`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    const namespace = `kradle-org-${org}`;
    const all = Array.from({ length: 23 }, (_, i) => `pr-${String(i).padStart(2, '0')}`);
    await store.resources.createMany(all.map((n) => pullRequest(org, n, { parity: String(Number(n.slice(3)) % 2) })));
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await store.resources.list('PullRequest', { namespace, limit: 5, continue: token });
      seen.push(...page.items.map((r) => r.metadata.name));
      token = page.continue;
      pages++;
    } while (token);
    t.deepEqual(seen, all);
    t.is(pages, 5);
    const odd = await store.resources.list('PullRequest', { namespace, labelSelector: 'parity=1', limit: 100 });
    t.is(odd.items.length, 11);
    t.is(odd.continue, undefined);
    await t.throwsAsync(store.resources.list('PullRequest', { namespace, continue: 'garbage' }), { instanceOf: BadRequestError });
    await t.throwsAsync(store.resources.list('PullRequest', { namespace, limit: 0 }), { instanceOf: BadRequestError });
  });

  test(`${d.name}: createMany writes all or nothing`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    await store.resources.create(pullRequest(org, 'taken'));
    await t.throwsAsync(store.resources.createMany([pullRequest(org, 'fresh'), pullRequest(org, 'taken')]), { instanceOf: ConflictError });
    t.is(await store.resources.get('PullRequest', `kradle-org-${org}`, 'fresh'), undefined);
  });

  test(`${d.name}: a config kind is refused with the config repo path; unknown kinds and invalid documents too`, async (t) => {
    const store = await d.store();
    const org = uniqueName('org');
    const stack = { apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'AgentStack', metadata: { name: 'reviewer' }, spec: { organizationRef: org } };
    const config = await t.throwsAsync(store.resources.create(stack), { instanceOf: ValidationError });
    t.is(config?.status, 422);
    t.regex(config!.message, /config repo/);
    t.true(config!.message.includes(`orgs/${org}/agentstacks/reviewer.yaml`));
    t.true(config!.message.includes('orgs/<org>/<plural>/<name>.yaml'));
    const unknown = await t.throwsAsync(store.resources.create({ ...stack, kind: 'Pod' }), { instanceOf: ValidationError });
    t.is(unknown?.details[0]?.code, 'UNKNOWN_KIND');
    const invalid = pullRequest(org, 'Bad_Name', {}, { title: '' });
    const err = await t.throwsAsync(store.resources.create(invalid), { instanceOf: ValidationError });
    t.deepEqual(err!.details.map((x) => x.field).sort(), ['/metadata/name', '/spec/title']);
    const elsewhere = { ...pullRequest(org, 'x'), metadata: { name: 'x', namespace: 'kradle-org-other' } };
    await t.throwsAsync(store.resources.create(elsewhere), { instanceOf: ValidationError, message: /does not belong/ });
    const listed = await store.resources.list('PullRequest', { namespace: `kradle-org-${org}` });
    t.deepEqual(listed.items, [], 'nothing refused was written');
  });
}
