import test from 'ava';
import { createDispatchService, createTriggerService, type TriggerEvent } from '../../src/agents/index.ts';
import { createLiveDriver } from '../../src/cluster/live-driver.ts';
import { tenantNamespace } from '../../src/kinds/index.ts';
import { uniqueName } from '../support/store.ts';
import { dispatchWorld } from './dispatch-support.ts';
import { doc, type OrgOptions } from './helpers.ts';

const world = dispatchWorld(test);
const failure = (pipeline: string, extra: Partial<TriggerEvent> = {}): TriggerEvent => ({ type: 'pipeline-failure', source: { kind: 'Pipeline', name: pipeline }, repository: 'api', ref: 'refs/heads/main', ...extra });

/** `opts` as a function gets the org's name, for extra documents that belong to it. */
async function setup(opts: OrgOptions | ((org: string) => OrgOptions) = {}) {
  const org = uniqueName('tr');
  const w = await world({ [org]: typeof opts === 'function' ? opts(org) : opts });
  const triggers = createTriggerService({ store: w.store, desired: () => w.state, dispatch: w.dispatch });
  const runs = async () => (await w.store.resources.list('AgentDispatchRun', { namespace: tenantNamespace(org) })).items;
  const executions = async () => (await w.store.resources.list('AgentTriggerExecution', { namespace: tenantNamespace(org) })).items;
  return { org, w, triggers, runs, executions };
}

test('repeated CI failures of one pipeline coalesce into one run; every evaluation is recorded', async (t) => {
  const { org, triggers, runs, executions } = await setup();
  const first = await triggers.processEvent(org, failure('build-7'));
  const second = await triggers.processEvent(org, failure('build-7'));
  const fix = (o: typeof first) => o.find((x) => x.rule === 'fix-ci')!;
  t.is(fix(first).decision, 'dispatched');
  t.is(fix(second).decision, 'deduplicated');
  t.is(fix(second).run, fix(first).run);
  t.regex(fix(second).reason, /already dispatched/);
  t.is(first.find((x) => x.rule === 'on-comment')!.decision, 'no-match');
  t.is((await runs()).length, 1);
  const decisions = (await executions()).map((e) => e.spec.decision).sort();
  t.deepEqual(decisions, ['deduplicated', 'dispatched', 'no-match', 'no-match']);
});

test('the same event sent concurrently dispatches once', async (t) => {
  const { org, triggers, runs } = await setup();
  const results = await Promise.all(Array.from({ length: 4 }, () => triggers.processEvent(org, failure('build-8'))));
  const decisions = results.map((r) => r.find((x) => x.rule === 'fix-ci')!.decision).sort();
  t.deepEqual(decisions, ['deduplicated', 'deduplicated', 'deduplicated', 'dispatched']);
  t.is((await runs()).length, 1);
});

test('the same event after a restart (new service instances on the same store) dispatches once', async (t) => {
  const { org, w, triggers, runs } = await setup();
  await triggers.processEvent(org, failure('build-9'));
  const dispatch2 = createDispatchService({ store: w.store, driver: createLiveDriver({ kubeConfig: w.kube.kubeConfig }), desired: () => w.state, callbackBaseUrl: 'https://kradle.test' });
  const triggers2 = createTriggerService({ store: w.store, desired: () => w.state, dispatch: dispatch2 });
  const again = await triggers2.processEvent(org, failure('build-9'));
  t.is(again.find((x) => x.rule === 'fix-ci')!.decision, 'deduplicated');
  t.is((await runs()).length, 1);
});

test('a failed run does not block the same event (§8.3)', async (t) => {
  const { org, triggers, runs } = await setup({ withoutSecretGrant: true });
  const a = await triggers.processEvent(org, failure('build-10'));
  const b = await triggers.processEvent(org, failure('build-10'));
  t.is(a.find((x) => x.rule === 'fix-ci')!.decision, 'dispatched');
  t.is(b.find((x) => x.rule === 'fix-ci')!.decision, 'dispatched');
  t.deepEqual((await runs()).map((r) => r.status.phase), ['Failed', 'Failed']);
});

test('a fork pull request launches nothing and the rejection says why', async (t) => {
  const { org, w, triggers, runs } = await setup();
  const out = await triggers.processEvent(org, failure('build-11', { fork: true }));
  t.true(out.every((o) => o.decision === 'rejected'));
  t.regex(out[0]!.reason, /fork/);
  t.is((await runs()).length, 0);
  t.is(w.kube.objects('batch/v1', 'Job', tenantNamespace(org)).length, 0);
});

test('a comment with the rule prefix dispatches; other comments do not match', async (t) => {
  const { org, triggers, runs } = await setup();
  const miss = await triggers.processEvent(org, { type: 'comment', source: { kind: 'PullRequest', name: 'pr-1' }, body: 'looks good' });
  t.is(miss.find((x) => x.rule === 'on-comment')!.decision, 'no-match');
  const hit = await triggers.processEvent(org, { type: 'comment', source: { kind: 'PullRequest', name: 'pr-2' }, body: '/kradle fix it', repository: 'api' });
  t.is(hit.find((x) => x.rule === 'on-comment')!.decision, 'dispatched');
  t.is((await runs()).length, 1);
});

test('an event naming no repository or ref dispatches on the org\'s only Repository and its default branch', async (t) => {
  const { org, triggers, runs } = await setup();
  const out = await triggers.processEvent(org, { type: 'comment', source: { kind: 'PullRequest', name: 'pr-3' }, body: '/kradle fix it' });
  t.is(out.find((x) => x.rule === 'on-comment')!.decision, 'dispatched');
  const [run] = await runs();
  t.like(run!.spec, { repository: 'api', sourceRefs: ['refs/heads/main'] });
});

test('an event whose repository cannot be defaulted is rejected without a run or a dedupe slot', async (t) => {
  const { org, triggers, runs, executions } = await setup((o) => ({ extra: [doc('Repository', 'web', { organizationRef: o, visibility: 'private' })] }));
  const event: TriggerEvent = { type: 'comment', source: { kind: 'PullRequest', name: 'pr-4' }, body: '/kradle fix it' };
  const out = await triggers.processEvent(org, event);
  const rejected = out.find((x) => x.rule === 'on-comment')!;
  t.is(rejected.decision, 'rejected');
  t.regex(rejected.reason, /^cannot dispatch: .*2 repositories \(api, web\): pass repository$/);
  t.is(out.find((x) => x.rule === 'fix-ci')!.decision, 'no-match');
  t.is((await runs()).length, 0);
  t.like((await executions()).find((e) => e.metadata.name === rejected.execution)!.spec, { decision: 'rejected', reason: rejected.reason });
  // The rejection held no slot: the same event naming its repository dispatches.
  const again = await triggers.processEvent(org, { ...event, repository: 'web' });
  t.is(again.find((x) => x.rule === 'on-comment')!.decision, 'dispatched');
  t.is((await runs()).length, 1);
});
