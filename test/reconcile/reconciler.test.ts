import test from 'ava';
import { UpstreamError, ValidationError } from '../../src/errors/index.ts';
import {
  createWorkQueue, defineReconciler, getCondition, markTrue,
  type ReconcileOutcome, type ReconcileStatus, type ReconcileStep, type StepResult,
} from '../../src/reconcile/index.ts';
import { createManualScheduler } from '../support/manual-scheduler.ts';

interface Team {
  name: string;
  generation: number;
}

/** A reconciler over an in-memory table of teams and their saved statuses, with scripted steps. */
function harness(script: Record<string, () => StepResult | Error>) {
  const teams = new Map<string, Team>([['acme/platform', { name: 'platform', generation: 3 }]]);
  const saved = new Map<string, ReconcileStatus>();
  const outcomes: ReconcileOutcome[] = [];
  const progress: string[] = [];
  const ran: string[] = [];
  let minute = 0;
  const step = (name: string, condition: `${string}Failed`): ReconcileStep<Team> => ({
    name,
    condition,
    run: async () => {
      ran.push(name);
      const r = script[name]?.() ?? 'success';
      if (r instanceof Error) throw r;
      return r;
    },
  });
  const reconciler = defineReconciler<Team>({
    name: 'team',
    load: async (key) => {
      const obj = teams.get(key);
      return obj && { object: obj, generation: obj.generation, status: saved.get(key) };
    },
    steps: [step('fetchSource', 'FetchFailed'), step('buildPlan', 'BuildFailed'), step('applyPlan', 'ApplyFailed')],
    saveStatus: async (ctx) => void saved.set(ctx.key, structuredClone(ctx.status)),
    publish: async (_ctx, outcome) => void outcomes.push(outcome),
    onProgress: async (ctx, message) => void progress.push(`${message}|${getCondition(ctx.status.conditions, 'Reconciling')?.status}`),
    clock: () => new Date(Date.UTC(2025, 0, 1, 0, minute++)),
  });
  const status = () => saved.get('acme/platform')!;
  const cond = (type: string) => getCondition(status().conditions, type);
  return { reconciler, teams, saved, outcomes, progress, ran, status, cond };
}

test('all steps succeed: steps run in order, Ready=True, generation observed, status saved and published', async (t) => {
  const h = harness({});
  t.is(await h.reconciler.reconcile('acme/platform'), 'success');
  t.deepEqual(h.ran, ['fetchSource', 'buildPlan', 'applyPlan']);
  t.deepEqual(h.status().conditions.map((c) => [c.type, c.status]), [['Ready', 'True']]);
  t.is(h.status().phase, 'Ready');
  t.is(h.status().observedGeneration, 3);
  t.is(h.cond('Ready')!.observedGeneration, 3);
  t.deepEqual(h.outcomes.map((o) => [o.result, o.phase]), [['success', 'Ready']]);
});

test('a throwing step: its condition is set, later steps skipped, status saved, the error rethrown', async (t) => {
  const boom = new UpstreamError('apply via https://ci:s3cret@kube.example.com failed');
  const h = harness({ buildPlan: () => boom });
  const err = await t.throwsAsync(h.reconciler.reconcile('acme/platform'));
  t.is(err, boom, 'the same error, so the queue applies its disposition');
  t.deepEqual(h.ran, ['fetchSource', 'buildPlan']);
  t.is(h.cond('BuildFailed')?.status, 'True');
  t.is(h.cond('BuildFailed')?.reason, 'UpstreamFailed');
  t.false(h.cond('BuildFailed')!.message.includes('s3cret'));
  t.deepEqual([h.cond('Ready')?.status, h.cond('Ready')?.reason], ['False', 'UpstreamFailed']);
  t.is(h.cond('Reconciling')?.reason, 'ProgressingWithRetry');
  t.is(h.cond('Stalled'), undefined);
  t.is(h.status().phase, 'Failed');
  t.is(h.status().observedGeneration, undefined, 'a generation is observed only once reconciled to an end');
  t.deepEqual(h.outcomes.map((o) => [o.result, o.step, o.error?.disposition]), [['error', 'buildPlan', 'retry']]);
});

test('a stalling error marks Stalled with the positioned details; a later success clears it all', async (t) => {
  let broken = true;
  const invalid = new ValidationError('revision abc123 is invalid', {
    details: [{ code: 'SCHEMA', message: 'spec.members must be an array', path: 'orgs/acme/teams/platform.yaml', line: 4, column: 3 }],
  });
  const h = harness({ fetchSource: () => (broken ? invalid : 'success') });
  await t.throwsAsync(h.reconciler.reconcile('acme/platform'), { is: invalid });
  t.is(h.cond('Stalled')?.reason, 'ValidationFailed');
  t.true(h.cond('FetchFailed')!.message.includes('orgs/acme/teams/platform.yaml:4:3: SCHEMA spec.members must be an array'));
  t.is(h.cond('Reconciling'), undefined);
  t.is(h.status().phase, 'Stalled');
  t.is(h.status().observedGeneration, 3);

  broken = false;
  t.is(await h.reconciler.reconcile('acme/platform'), 'success');
  t.deepEqual(h.status().conditions.map((c) => c.type), ['Ready']);
  t.is(h.status().phase, 'Ready');
});

test('unchanged conditions keep their transition time across reconciles', async (t) => {
  const h = harness({ applyPlan: () => new UpstreamError('502 from api server') });
  await t.throwsAsync(h.reconciler.reconcile('acme/platform'));
  const first = h.cond('ApplyFailed')!.lastTransitionTime;
  const ready = h.cond('Ready')!.lastTransitionTime;
  await t.throwsAsync(h.reconciler.reconcile('acme/platform'));
  t.is(h.cond('ApplyFailed')!.lastTransitionTime, first);
  t.is(h.cond('Ready')!.lastTransitionTime, ready);
});

test('a requeue stops the steps and leaves the resource Reconciling', async (t) => {
  const h = harness({ buildPlan: () => ({ requeueAfterMs: 30_000 }) });
  t.deepEqual(await h.reconciler.reconcile('acme/platform'), { requeueAfterMs: 30_000 });
  t.deepEqual(h.ran, ['fetchSource', 'buildPlan']);
  t.is(h.cond('Reconciling')?.status, 'True');
  t.is(h.cond('Ready')?.status, 'Unknown');
  t.is(h.status().phase, 'Reconciling');
});

test('progress marks Reconciling before the step ends, and success clears it', async (t) => {
  const h = harness({});
  const reconciler = defineReconciler<Team>({
    name: 'slow',
    load: async () => ({ object: { name: 'x', generation: 1 } }),
    steps: [{ name: 'applyPlan', condition: 'ApplyFailed', run: async (ctx) => (await ctx.progress('applied 5 of 10 objects'), 'success') }],
    saveStatus: async (ctx) => void h.saved.set(ctx.key, structuredClone(ctx.status)),
    onProgress: async (ctx, message) => void h.progress.push(`${message}|${getCondition(ctx.status.conditions, 'Reconciling')?.status}`),
  });
  await reconciler.reconcile('acme/platform');
  t.deepEqual(h.progress, ['applied 5 of 10 objects|True']);
  t.is(h.cond('Reconciling'), undefined);
  t.is(h.cond('Ready')?.status, 'True');
});

test('Ready is derived only by summarize: a step cannot make a failing resource Ready', async (t) => {
  const h = harness({});
  const reconciler = defineReconciler<Team>({
    name: 'sneaky',
    load: async () => ({ object: { name: 'x', generation: 1 } }),
    steps: [
      { name: 'fetchSource', condition: 'FetchFailed', run: async (ctx) => ((ctx.status.conditions = markTrue(ctx.status.conditions, 'Ready', 'Looks', 'fine')), 'success') },
      { name: 'applyPlan', condition: 'ApplyFailed', run: async () => { throw new UpstreamError('timeout'); } },
    ],
    saveStatus: async (ctx) => void h.saved.set(ctx.key, structuredClone(ctx.status)),
  });
  await t.throwsAsync(reconciler.reconcile('acme/platform'));
  t.deepEqual([h.cond('Ready')?.status, h.cond('Ready')?.reason], ['False', 'UpstreamFailed']);
});

test('a key whose object is gone succeeds without saving anything', async (t) => {
  const h = harness({});
  h.teams.clear();
  t.is(await h.reconciler.reconcile('acme/platform'), 'success');
  t.is(h.saved.size, 0);
  t.deepEqual(h.ran, []);
});

test('a step condition must be named <Thing>Failed', (t) => {
  t.throws(() => defineReconciler({
    name: 'bad', load: async () => undefined, saveStatus: async () => {},
    steps: [{ name: 'x', condition: 'ready' as `${string}Failed`, run: async () => 'success' }],
  }), { instanceOf: TypeError });
});

test('as a queue handler: a stalled reconcile is not retried, a failing one backs off', async (t) => {
  const scheduler = createManualScheduler();
  let fetchError: Error = new ValidationError('bad revision');
  const h = harness({ fetchSource: () => fetchError });
  const q = createWorkQueue({ scheduler, backoff: { baseMs: 10, random: () => 0 }, handler: h.reconciler.reconcile });
  q.add('acme/platform');
  await q.whenIdle();
  t.is(q.delayed, 0);
  t.is(h.status().phase, 'Stalled');

  fetchError = new UpstreamError('git server down');
  q.add('acme/platform');
  await q.whenIdle();
  t.deepEqual(scheduler.pending(), [10]);
  t.is(h.status().phase, 'Failed');
  t.is(h.cond('Stalled'), undefined, 'Reconciling replaced Stalled');
  await q.shutdown();
});
