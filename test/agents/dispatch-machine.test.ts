import test from 'ava';
import { canTransition, isTerminal, transition, type DispatchPhase } from '../../src/agents/index.ts';
import { ConflictError } from '../../src/errors/index.ts';

const allowed: [DispatchPhase, DispatchPhase][] = [
  ['Pending', 'AwaitingApproval'], ['Pending', 'Queued'], ['Pending', 'Failed'],
  ['AwaitingApproval', 'Queued'], ['AwaitingApproval', 'Failed'],
  ['Queued', 'Running'], ['Queued', 'Failed'], ['Running', 'Completed'], ['Running', 'Failed'],
];
const phases: DispatchPhase[] = ['Pending', 'AwaitingApproval', 'Queued', 'Running', 'Completed', 'Failed'];

test('the dispatch state machine allows exactly the moves of spec §6.3', (t) => {
  for (const from of phases) {
    for (const to of phases) {
      const expected = allowed.some(([a, b]) => a === from && b === to);
      t.is(canTransition(from, to), expected, `${from} -> ${to}`);
    }
  }
  t.true(isTerminal('Completed'));
  t.true(isTerminal('Failed'));
  t.false(isTerminal('Running'));
});

test('transition stamps the phase fields and computes duration', (t) => {
  const started = transition({ phase: 'Queued' }, 'Running', { k8sJobName: 'kradle-agent-r1' }, new Date('2026-01-01T00:00:00Z'));
  t.is(started.startedAt, '2026-01-01T00:00:00.000Z');
  const done = transition(started, 'Completed', { exitCode: 0 }, new Date('2026-01-01T00:01:30Z'));
  t.is(done.phase, 'Completed');
  t.is(done.duration, 90);
  t.is(done.k8sJobName, 'kradle-agent-r1');
});

test('a run never re-enters Queued once it left it (§6.8)', (t) => {
  const err = t.throws(() => transition({ phase: 'Running' }, 'Queued', {}, new Date()), { instanceOf: ConflictError });
  t.is(err?.status, 409);
});
