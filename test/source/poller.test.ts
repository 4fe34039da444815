import test from 'ava';
import { createGitSource, createPoller, type FetchResult } from '../../src/source/index.ts';
import { createTestRepo } from '../support/git-repo.ts';

test('trigger calls onRevision once per new commit, and not again for the same commit', async (t) => {
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  const first = repo.commit({ 'a.yaml': 'a: 1\n' });
  const seen: string[] = [];
  const poller = createPoller({ source: createGitSource({ url: repo.dir }), intervalMs: 3_600_000, onRevision: (c) => void seen.push(c) });
  await poller.trigger();
  await poller.trigger();
  t.deepEqual(seen, [first]);
  const second = repo.commit({ 'a.yaml': 'a: 2\n' });
  await Promise.all([poller.trigger(), poller.trigger(), poller.trigger()]);
  t.deepEqual(seen, [first, second]);
});

/** A source whose fetch waits until released, counting calls and overlaps. */
function gatedSource() {
  let commit = 'c1';
  let inFlight = 0;
  const state = { calls: 0, maxInFlight: 0, release: () => {} };
  const source = {
    async fetch(): Promise<FetchResult> {
      state.calls++;
      inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, inFlight);
      await new Promise<void>((resolve) => (state.release = resolve));
      inFlight--;
      return { commit, changed: true };
    },
  };
  return { source, state, setCommit: (c: string) => (commit = c) };
}

test('concurrent triggers coalesce into one follow-up fetch and never overlap', async (t) => {
  const { source, state, setCommit } = gatedSource();
  const seen: string[] = [];
  const poller = createPoller({ source, intervalMs: 3_600_000, onRevision: (c) => void seen.push(c) });
  const first = poller.trigger();
  const followers = [poller.trigger(), poller.trigger(), poller.trigger()];
  t.is(state.calls, 1);
  setCommit('c2');
  state.release();
  await first;
  await new Promise((r) => setImmediate(r));
  t.is(state.calls, 2);
  state.release();
  await Promise.all(followers);
  t.is(state.calls, 2);
  t.is(state.maxInFlight, 1);
  t.deepEqual(seen, ['c2']);
});

test('a fetch error goes to onError and polling goes on', async (t) => {
  let fail = true;
  const errors: unknown[] = [];
  const seen: string[] = [];
  const source = {
    async fetch(): Promise<FetchResult> {
      if (fail) throw new Error('boom');
      return { commit: 'c1', changed: true };
    },
  };
  const poller = createPoller({ source, intervalMs: 5, jitter: 0, onRevision: (c) => void seen.push(c), onError: (e) => void errors.push(e) });
  const recovered = new Promise<void>((resolve) => {
    const original = source.fetch;
    source.fetch = async () => {
      const r = await original();
      setImmediate(resolve);
      return r;
    };
  });
  poller.start();
  while (errors.length < 2) await new Promise((r) => setTimeout(r, 5));
  fail = false;
  await recovered;
  await poller.stop();
  t.true(errors.length >= 2);
  t.is((errors[0] as Error).message, 'boom');
  t.deepEqual(seen, ['c1']);
});
