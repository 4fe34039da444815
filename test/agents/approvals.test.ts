import test from 'ava';
import type { KradleError } from '../../src/errors/index.ts';
import { tenantNamespace } from '../../src/kinds/index.ts';
import { uniqueName } from '../support/store.ts';
import { dispatchWorld, request } from './dispatch-support.ts';

const world = dispatchWorld(test);
const admin = (org: string) => ({ subject: 'root', org, role: 'admin' as const });

test('approval flow end to end: AwaitingApproval, then a team maintainer approves and the run starts its Job', async (t) => {
  const org = uniqueName('ap');
  const w = await world({ [org]: { requiresApproval: true } });
  const run = await w.dispatch.create(org, request());
  t.is(run.status.phase, 'AwaitingApproval');
  t.truthy(run.status.awaitingSince);
  t.is(w.job(run.metadata.name), undefined);
  const approval = String(run.status.approvalRef);
  const dup = await w.approvals.request(org, { dispatchRun: run.metadata.name, action: 'tool-use', requestedBy: 'alice' });
  t.is(dup.metadata.name, approval, 'a duplicate pending request returns the pending one');
  const decided = await w.approvals.decide(org, approval, { decision: 'approve', reason: 'ok' }, { subject: 'dana', org, role: 'writer' });
  t.is(decided.status.phase, 'Approved');
  t.is(decided.status.decidedBy, 'dana');
  const after = await w.dispatch.get(org, run.metadata.name);
  t.is(after.status.phase, 'Running');
  t.truthy(w.job(run.metadata.name));
  const types = (await w.store.events.since(0, { org })).map((e) => e.type);
  for (const ty of ['RUN_CREATED', 'APPROVAL_REQUESTED', 'APPROVAL_GRANTED', 'RUN_QUEUED', 'RUN_STARTED']) t.true(types.includes(ty), ty);
  const again = (await t.throwsAsync(w.approvals.decide(org, approval, { decision: 'deny' }, admin(org)))) as KradleError;
  t.is(again.status, 409);
});

test('a denied approval fails the run and launches nothing', async (t) => {
  const org = uniqueName('ap');
  const w = await world({ [org]: { requiresApproval: true } });
  const run = await w.dispatch.create(org, request());
  await w.approvals.decide(org, String(run.status.approvalRef), { decision: 'deny', reason: 'not now' }, admin(org));
  const after = await w.dispatch.get(org, run.metadata.name);
  t.is(after.status.phase, 'Failed');
  t.regex(String(after.status.lastError), /denied by root: not now/);
  t.is(w.job(run.metadata.name), undefined);
  t.true((await w.store.events.since(0, { org })).some((e) => e.type === 'APPROVAL_DENIED'));
});

const refused: [string, (org: string) => { subject: string; org: string; role: 'admin' | 'writer' | 'reader' } | undefined][] = [
  ['a writer in no approving team', (org) => ({ subject: 'carol', org, role: 'writer' })],
  ['a reader, even listed as maintainer', (org) => ({ subject: 'dana', org, role: 'reader' })],
  ['an admin of another org', () => ({ subject: 'root', org: 'elsewhere', role: 'admin' })],
  ['no principal', () => undefined],
];

for (const [title, who] of refused) {
  test(`a decider without the approver role gets 403: ${title}`, async (t) => {
    const org = uniqueName('ap');
    const w = await world({ [org]: { requiresApproval: true } });
    const run = await w.dispatch.create(org, request());
    const err = (await t.throwsAsync(w.approvals.decide(org, String(run.status.approvalRef), { decision: 'approve' }, who(org)))) as KradleError;
    t.is(err.status, 403);
    t.is((await w.dispatch.get(org, run.metadata.name)).status.phase, 'AwaitingApproval');
  });
}

test('a changed artifact digest invalidates an approval', async (t) => {
  const org = uniqueName('ap');
  const w = await world({ [org]: {} });
  const a = await w.approvals.request(org, { dispatchRun: 'run-x', action: 'write-back', requestedBy: 'alice', artifactDigest: 'sha256:one' });
  t.false((await w.approvals.isActionApproved(org, { dispatchRun: 'run-x', action: 'write-back', digest: 'sha256:one' })).approved);
  await w.approvals.decide(org, a.metadata.name, { decision: 'approved' }, admin(org));
  t.true((await w.approvals.isActionApproved(org, { dispatchRun: 'run-x', action: 'write-back', digest: 'sha256:one' })).approved);
  const changed = await w.approvals.isActionApproved(org, { dispatchRun: 'run-x', action: 'write-back', digest: 'sha256:two' });
  t.false(changed.approved);
  t.regex(changed.reason, /digest changed/);
  t.is((await w.store.resources.get('AgentApproval', tenantNamespace(org), a.metadata.name))?.status.approvedDigest, 'sha256:one');
});
