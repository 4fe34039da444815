import test from 'ava';
import { createConfigWriter, type LocateFn } from '../../src/writeback/index.ts';
import { isKradleError } from '../../src/errors/index.ts';
import { ACTOR, createFixture, pool, simpleValidate, team } from './helpers.ts';

function setup(t: { teardown(fn: () => void): void }, opts: { locate?: LocateFn; validate?: typeof simpleValidate } = {}) {
  const fx = createFixture();
  t.teardown(() => fx.remove());
  const writer = createConfigWriter({ gitdir: fx.gitdir, branch: 'main', validate: opts.validate ?? simpleValidate, locate: opts.locate });
  return { fx, writer };
}

const count = (fx: ReturnType<typeof createFixture>) => Number(fx.git('rev-list', '--count', 'main'));

test('writeMany: updates, creates and deletes become ONE commit; edits of one file see each other', async (t) => {
  const { fx, writer } = setup(t);
  const before = fx.git('rev-parse', 'main');
  const out = await writer.writeMany({
    edits: [
      { op: 'upsert', resource: team('platform', 'Platform Eng') },
      { op: 'upsert', resource: team('data', 'Data') },
      { op: 'upsert', resource: pool('small', 2, 4) },
      { op: 'delete', kind: 'RunnerPool', org: 'acme', name: 'large' },
    ],
    actor: ACTOR,
  });
  t.true(out.changed);
  t.is(fx.git('rev-parse', 'main'), out.commit);
  t.is(fx.git('rev-parse', 'main^'), before);
  t.deepEqual(out.items, [
    { path: 'orgs/acme/teams/platform.yaml', created: false, changed: true },
    { path: 'orgs/acme/teams/data.yaml', created: true, changed: true },
    { path: 'orgs/acme/runnerpools.yaml', created: false, changed: true },
    { path: 'orgs/acme/runnerpools.yaml', created: false, changed: true },
  ]);
  const pools = fx.show('orgs/acme/runnerpools.yaml');
  t.true(pools.includes('warmReplicas: 2'));
  t.false(pools.includes('large'));
  t.true(fx.show('orgs/acme/teams/platform.yaml').includes('displayName: Platform Eng # shown in the UI'));
  t.deepEqual(fx.git('diff', '--name-only', before, out.commit).split('\n').sort(), ['orgs/acme/runnerpools.yaml', 'orgs/acme/teams/data.yaml', 'orgs/acme/teams/platform.yaml']);
  t.regex(fx.git('log', '-1', '--format=%B'), /^Write 4 resources\n\nUpdate Team acme\/platform/);
});

test('writeMany: one invalid document rejects the whole batch with positioned errors and no commit', async (t) => {
  const { fx, writer } = setup(t);
  const before = fx.git('rev-parse', 'main');
  const err = await t.throwsAsync(writer.writeMany({ edits: [{ op: 'upsert', resource: team('ok', 'Fine') }, { op: 'upsert', resource: team('bad', '') }], actor: ACTOR }));
  t.true(isKradleError(err) && err.status === 422);
  t.like((err as unknown as { details: unknown[] }).details[0], { code: 'SCHEMA', path: 'orgs/acme/teams/bad.yaml', field: 'spec.displayName' });
  t.is(fx.git('rev-parse', 'main'), before);
  t.is(count(fx), 1);
  await t.throwsAsync(writer.writeMany({ edits: [], actor: ACTOR }), { message: /no edits/ });
});

test('locate: a resource outside its conventional path is edited in the file the desired state names', async (t) => {
  const asked: string[] = [];
  const { fx, writer } = setup(t, {
    locate: (org, kind, name) => {
      asked.push(`${kind}/${org}/${name}`);
      return { revision: 'whatever', path: 'orgs/acme/runnerpools.yaml' };
    },
  });
  const out = await writer.write({ edit: { op: 'upsert', resource: pool('large', 3, 5) }, actor: ACTOR });
  t.is(out.path, 'orgs/acme/runnerpools.yaml');
  t.false(out.created);
  t.true(fx.show('orgs/acme/runnerpools.yaml').includes('warmReplicas: 3'));
  t.deepEqual(asked, ['RunnerPool/acme/large']);
});

// The "absent" answer is trusted without reading the repo: shown here by a locate that is wrong on purpose
// (the pool exists in runnerpools.yaml), so trusting it writes a second copy at the conventional path.
test('locate: "absent at the tip" is trusted (no scan), also across the writer\'s own commits; past anyone else\'s commit it scans', async (t) => {
  const fx = createFixture();
  t.teardown(() => fx.remove());
  const loaded = fx.git('rev-parse', 'main');
  const writer = createConfigWriter({ gitdir: fx.gitdir, branch: 'main', validate: async () => ({ errors: [], warnings: [] }), locate: () => ({ revision: loaded }) });
  const trusted = await writer.write({ edit: { op: 'upsert', resource: pool('large', 7, 9) }, actor: ACTOR });
  t.like(trusted, { path: 'orgs/acme/runnerpools/large.yaml', created: true });
  // Our own commit moved the tip; the desired state still names the revision before it: still trusted.
  const again = await writer.write({ edit: { op: 'upsert', resource: pool('small', 7, 9) }, actor: ACTOR });
  t.like(again, { path: 'orgs/acme/runnerpools/small.yaml', created: true });
  // Someone else removes that second copy; the writer cannot vouch for their commit, so it scans and
  // finds the pool where it really is instead of creating it anew.
  const other = createConfigWriter({ gitdir: fx.gitdir, branch: 'main', validate: async () => ({ errors: [], warnings: [] }) });
  await other.write({ edit: { op: 'delete', kind: 'RunnerPool', org: 'acme', name: 'large' }, actor: ACTOR });
  t.false(fx.git('ls-tree', '-r', '--name-only', 'main').includes('runnerpools/large.yaml'));
  const scanned = await writer.write({ edit: { op: 'upsert', resource: pool('large', 1, 2) }, actor: ACTOR });
  t.like(scanned, { path: 'orgs/acme/runnerpools.yaml', created: false });
});

test('locate: an answer from another revision without a path is checked by scanning the repo', async (t) => {
  const { fx, writer } = setup(t, { locate: () => ({ revision: 'stale' }) });
  const out = await writer.write({ edit: { op: 'upsert', resource: pool('large', 4, 4) }, actor: ACTOR });
  t.like(out, { path: 'orgs/acme/runnerpools.yaml', created: false });
  t.true(fx.show('orgs/acme/runnerpools.yaml').includes('warmReplicas: 4'));
});
