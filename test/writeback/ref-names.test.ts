// Every ref a write-back reads or moves is checked as git's check-ref-format would, before a file is touched: a bad
// name is a 400 naming git's rule, never an isomorphic-git exception nor a file written where no ref belongs.
import fs, { existsSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { isKradleError } from '../../src/errors/index.ts';
import { compareAndSwapRef, createConfigWriter, readRef } from '../../src/writeback/index.ts';
import { ACTOR, createFixture, simpleValidate, team } from './helpers.ts';

function setup(t: { teardown(fn: () => void): void }, branch = 'main') {
  const fx = createFixture();
  t.teardown(() => fx.remove());
  return { fx, writer: createConfigWriter({ gitdir: fx.gitdir, branch, validate: simpleValidate }) };
}

function isBadRef(err: unknown): boolean {
  return isKradleError(err) && err.status === 400 && err.details.some((d) => d.code === 'INVALID_REF');
}

const refsOf = (fx: ReturnType<typeof createFixture>) => fx.git('for-each-ref', '--format=%(refname) %(objectname)');

test('a pull-request id that git would take as a lock file (x.lock) is a 400, and no branch is written', async (t) => {
  const { fx, writer } = setup(t);
  const before = refsOf(fx);
  const err = await t.throwsAsync(writer.write({ edit: { op: 'upsert', resource: team('web', 'Web') }, actor: ACTOR, mode: 'pull-request', id: 'x.lock' }));
  t.true(isBadRef(err), String(err));
  t.is(refsOf(fx), before);
  t.false(existsSync(join(fx.gitdir, 'refs/heads/kradle/write/x.lock')));
});

const badRefs = ['refs/heads/../../config', 'refs/heads/main.lock', 'refs/heads/a..b', 'refs/heads/main@{1}', 'refs/heads/with space'];

for (const ref of badRefs) {
  test(`reading or moving ${JSON.stringify(ref)} is a 400 and leaves the repository as it was`, async (t) => {
    const { fx } = setup(t);
    const before = refsOf(fx);
    const head = fx.git('rev-parse', 'main');
    t.true(isBadRef(await t.throwsAsync(readRef(fs, fx.gitdir, ref))));
    t.true(isBadRef(await t.throwsAsync(compareAndSwapRef(fs, fx.gitdir, ref, null, head))));
    t.is(refsOf(fx), before);
    fx.git('fsck', '--strict');
  });
}

test('a writer serving a ref name git refuses answers 400 on write and commits nothing', async (t) => {
  const { fx, writer } = setup(t, 'main.lock');
  const before = refsOf(fx);
  const err = await t.throwsAsync(writer.write({ edit: { op: 'upsert', resource: team('web', 'Web') }, actor: ACTOR }));
  t.true(isBadRef(err), String(err));
  t.is(refsOf(fx), before);
});
