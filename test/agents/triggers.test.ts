import test from 'ava';
import { eventUid, matchRule, nextCronRun, validateCronExpression, type TriggerEvent, type TriggerRuleSpec } from '../../src/agents/index.ts';

const failure: TriggerEvent = { type: 'pipeline-failure', source: { kind: 'Pipeline', name: 'build-42' }, repository: 'api', actor: 'ci' };

const cases: [string, TriggerRuleSpec, TriggerEvent, boolean][] = [
  ['source type listed', { sources: ['pipeline-failure'] }, failure, true],
  ['source type not listed', { sources: ['comment'] }, failure, false],
  ['repository matches', { sources: ['pipeline-failure'], repository: 'api' }, failure, true],
  ['repository differs', { sources: ['pipeline-failure'], repository: 'web' }, failure, false],
  ['actor allowed', { sources: ['pipeline-failure'], allowedActors: ['ci'] }, failure, true],
  ['actor not allowed', { sources: ['pipeline-failure'], allowedActors: ['alice'] }, failure, false],
  ['disabled rule', { sources: ['pipeline-failure'], enabled: false }, failure, false],
  ['fork pull request', { sources: ['pipeline-failure'] }, { ...failure, fork: true }, false],
  ['comment prefix', { sources: ['comment'], commentTrigger: { prefix: '/kradle' } }, { type: 'comment', source: { kind: 'PullRequest', name: 'pr-1' }, body: '/kradle fix' }, true],
  ['comment without prefix', { sources: ['comment'], commentTrigger: { prefix: '/kradle' } }, { type: 'comment', source: { kind: 'PullRequest', name: 'pr-1' }, body: 'lgtm' }, false],
  ['label watched', { sources: ['label'], labelTrigger: { labels: ['agent:fix'] } }, { type: 'label', source: { kind: 'Issue', name: 'i-1' }, label: 'agent:fix' }, true],
  ['label not watched', { sources: ['label'], labelTrigger: { labels: ['agent:fix'] } }, { type: 'label', source: { kind: 'Issue', name: 'i-1' }, label: 'bug' }, false],
  ['webhook any event', { sources: ['webhook'], webhookTrigger: { events: ['*'] } }, { type: 'webhook', source: { kind: 'push', name: 'd1' } }, true],
  ['webhook action differs', { sources: ['webhook'], webhookTrigger: { events: ['pull_request'], action: 'opened' } }, { type: 'webhook', source: { kind: 'pull_request', name: 'd2' }, action: 'closed' }, false],
];

for (const [title, rule, event, expected] of cases) {
  test(`trigger matching: ${title}`, (t) => {
    const result = matchRule(rule, event);
    t.is(result.matched, expected);
    if (!result.matched) t.true(result.reason.length > 0);
  });
}

test('repeated failures of one pipeline share one event identity', (t) => {
  t.is(eventUid(failure), eventUid({ ...failure, actor: 'someone-else' }));
  t.not(eventUid(failure), eventUid({ ...failure, source: { kind: 'Pipeline', name: 'build-43' } }));
});

test('cron expressions are validated and scheduled', (t) => {
  t.notThrows(() => validateCronExpression('*/15 * * * *'));
  t.throws(() => validateCronExpression('every day'));
  t.is(nextCronRun('0 9 * * *', new Date('2026-03-01T10:00:00Z'))?.toISOString().slice(11, 16), '09:00');
});
