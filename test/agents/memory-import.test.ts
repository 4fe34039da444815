import test from 'ava';
import { join } from 'node:path';
import { createImportReconciler, createMemoryImportService, type MemoryImportService } from '../../src/agents/index.ts';
import { isKradleError, type KradleError } from '../../src/errors/index.ts';
import type { DesiredState } from '../../src/loader/index.ts';
import type { Store } from '../../src/store/index.ts';
import { createTestRepo, type TestRepo } from '../support/git-repo.ts';
import { testDrivers, uniqueName } from '../support/store.ts';
import { loadState, MEMORY_ONTOLOGY as ONTOLOGY, memoryDocs, orgFiles } from './helpers.ts';

const [driver] = testDrivers(test);
const cleanup: (() => void)[] = [];
test.after.always(() => cleanup.forEach((f) => f()));

const SECRET = 'sk-ant-abcdefghijklmnopqrstuvwxyz0123';

interface World { org: string; repo: TestRepo; store: Store; state: DesiredState; imports: MemoryImportService }

async function world(repos?: () => { gitdir: string }): Promise<World> {
  const org = uniqueName('mi');
  const repo = createTestRepo();
  cleanup.push(() => repo.remove());
  repo.commit({
    '.company-brain/ontology/schema.yaml': ONTOLOGY,
    '.company-brain/graph/api.yaml': 'nodes:\n  - { id: api, kind: service }\nedges: []\n',
    '.company-brain/runbooks/deploy.md': '# Deploy\n\nRun the pipeline.\n',
  }, 'seed memory');
  const state = await loadState(orgFiles(org, {
    extra: memoryDocs(org),
  }));
  const store = await driver!.store();
  const imports = createMemoryImportService({ store, desired: () => state, repos: repos ?? (() => ({ gitdir: join(repo.dir, '.git') })) });
  return { org, repo, store, state, imports };
}

async function importEvents(w: World, name: string): Promise<string[]> {
  const events = await w.store.events.since(0, { org: w.org, limit: 1000 });
  return events.filter((e) => e.name === name && e.type.startsWith('MEMORY_IMPORT_')).map((e) => e.type);
}

const confident = [
  { type: 'entity', id: 'billing', kind: 'service', attributes: { owner: 'payments' }, confidence: 0.95 },
  { type: 'relationship', id: 'api-billing', from: 'api', to: 'billing', kind: 'depends-on', confidence: 0.9 },
  { type: 'runbook', id: 'billing-restart', title: 'Restart billing', body: 'Scale to zero, then back.', confidence: 0.9 },
  { type: 'runbook', id: 'deploy', title: 'Deploy', body: 'Run the pipeline.', confidence: 0.9 },
];

test('an import whose entries all pass with high confidence goes Collected -> ... -> Approved -> Merged with a real commit', async (t) => {
  const w = await world();
  const main = w.repo.head();
  const imp = await w.imports.collect(w.org, { source: { kind: 'AgentDispatchRun', name: 'run-a1' }, entries: confident, actor: 'alice' });
  t.is(imp.status.phase, 'Merged');
  t.is(imp.status.approvedBy, 'kradle-auto');
  t.is(imp.status.repositoryRef, 'brain');
  t.is(imp.status.mergedEntryCount, 3, 'the runbook identical to the one at head is deduped');
  t.deepEqual(imp.status.deduplicationResults, { new: 3, update: 0, duplicate: 1 });
  t.is(imp.status.baseCommit, main);
  t.is(w.repo.git('rev-parse', 'kradle/agent-memory/run-a1'), imp.status.commit as string);
  t.is(w.repo.git('rev-parse', `${imp.status.commit as string}^`), main);
  t.regex(w.repo.git('show', `${imp.status.commit as string}:.company-brain/graph/billing.yaml`), /id: billing\n\s+kind: service/);
  t.regex(w.repo.git('show', `${imp.status.commit as string}:.company-brain/graph/edges/api-billing.yaml`), /from: api\n\s+to: billing\n\s+kind: depends-on/);
  t.is(w.repo.git('show', `${imp.status.commit as string}:.company-brain/runbooks/billing-restart.md`), '# Restart billing\n\nScale to zero, then back.');
  t.deepEqual(await importEvents(w, imp.metadata.name), [
    'MEMORY_IMPORT_COLLECTED', 'MEMORY_IMPORT_REDACTING', 'MEMORY_IMPORT_NORMALIZING', 'MEMORY_IMPORT_VALIDATING', 'MEMORY_IMPORT_APPROVED', 'MEMORY_IMPORT_MERGED',
  ]);
  t.deepEqual((await w.imports.list(w.org)).items.map((i) => i.metadata.name), [imp.metadata.name]);
});

test('low confidence, an unresolved reference and a novel term wait for review; approve merges them', async (t) => {
  const w = await world();
  const entries = [
    { type: 'entity', id: 'ledger', kind: 'database' },
    { type: 'relationship', id: 'ledger-ghost', from: 'ledger', to: 'ghost', kind: 'owns', confidence: 0.9 },
    { type: 'decision', id: 'adr-7', title: 'Use queues', body: 'Billing talks to the ledger through a queue.' },
  ];
  const imp = await w.imports.collect(w.org, { source: { kind: 'AgentDispatchRun', name: 'run-b1' }, entries, actor: 'alice' });
  t.is(imp.status.phase, 'AwaitingReview');
  const flagged = imp.status.flaggedEntries as { index: number; reasons: string[] }[];
  t.deepEqual(flagged.map((f) => f.index), [0, 1, 2]);
  t.true(flagged[0]!.reasons.some((r) => r.includes('ONTOLOGY_VOCABULARY')), 'database is not in the vocabulary');
  t.true(flagged[1]!.reasons.includes('unresolved reference ghost'));
  t.true(flagged[2]!.reasons.includes('confidence 0.75 < 0.8'));
  t.deepEqual(imp.status.confidenceScores, { 0: 0, 1: 0.45, 2: 0.75 });
  t.regex(String(imp.status.reviewerHint), /3 entries need review; 1 fail/);
  t.throws(() => w.repo.git('rev-parse', '--verify', '-q', 'kradle/agent-memory/run-b1'));
  const merged = await w.imports.approve(w.org, imp.metadata.name, 'carol', 'looks right');
  t.is(merged.status.phase, 'Merged');
  t.like(merged.status, { approvedBy: 'carol', approvalNotes: 'looks right', mergedEntryCount: 2, skippedEntryCount: 1 });
  const files = w.repo.git('ls-tree', '-r', '--name-only', String(merged.status.commit)).split('\n');
  t.true(files.includes('.company-brain/decisions/adr-7.md'));
  t.true(files.includes('.company-brain/graph/edges/ledger-ghost.yaml'));
  t.false(files.includes('.company-brain/graph/ledger.yaml'), 'an entry failing the ontology is never merged');
  const err = (await t.throwsAsync(w.imports.approve(w.org, imp.metadata.name, 'carol'))) as KradleError;
  t.is(err.status, 409);
});

test('a rejected import is terminal, records who and why, and commits nothing; a reason is required', async (t) => {
  const w = await world();
  const imp = await w.imports.collect(w.org, { source: { kind: 'AgentDispatchRun', name: 'run-c1' }, entries: [{ type: 'decision', id: 'adr-9', body: 'Maybe.' }], actor: 'alice' });
  t.is(imp.status.phase, 'AwaitingReview');
  const noReason = (await t.throwsAsync(w.imports.reject(w.org, imp.metadata.name, 'carol', ' '))) as KradleError;
  t.is(noReason.status, 400);
  const rejected = await w.imports.reject(w.org, imp.metadata.name, 'carol', 'not a real decision');
  t.like(rejected.status, { phase: 'Rejected', rejectedBy: 'carol', rejectionReason: 'not a real decision' });
  t.is((await w.imports.advance(w.org, imp.metadata.name)).status.phase, 'Rejected');
  t.throws(() => w.repo.git('rev-parse', '--verify', '-q', 'kradle/agent-memory/run-c1'));
  t.deepEqual((await importEvents(w, imp.metadata.name)).slice(-2), ['MEMORY_IMPORT_AWAITING_REVIEW', 'MEMORY_IMPORT_REJECTED']);
});

test('an import with nothing new to write is never Merged: it ends Rejected with the reason and no commit', async (t) => {
  const w = await world();
  // The runbook is already in memory word for word: approving it writes nothing.
  const imp = await w.imports.collect(w.org, { source: { kind: 'AgentDispatchRun', name: 'run-g1' }, entries: [confident[3]!], actor: 'alice' });
  t.is(imp.status.phase, 'Rejected');
  t.like(imp.status, { rejectedBy: 'kradle', mergedEntryCount: 0, skippedEntryCount: 1 });
  t.regex(String(imp.status.rejectionReason), /^nothing to merge: 1 entries are already in /);
  t.is(imp.status.commit, undefined);
  t.throws(() => w.repo.git('rev-parse', '--verify', '-q', 'kradle/agent-memory/run-g1'));
  t.deepEqual((await importEvents(w, imp.metadata.name)).slice(-2), ['MEMORY_IMPORT_APPROVED', 'MEMORY_IMPORT_REJECTED']);
});

test('a secret in an entry is masked before anything is stored: redactedFields name the path, the value is nowhere', async (t) => {
  const w = await world();
  const body = `Rotate the key.\napi_key = ${SECRET}\nAsk ops@example.com, notes in /home/bob/notes.`;
  const imp = await w.imports.collect(w.org, { source: { kind: 'AgentDispatchRun', name: 'run-d1' }, entries: [{ type: 'runbook', id: 'rotate', body, confidence: 1 }], actor: 'alice' });
  const fields = imp.status.redactedFields as { path: string; line: number; rule: string; masked: string }[];
  t.deepEqual(fields.map((f) => [f.path, f.line, f.rule]), [['/entries/0/body', 2, 'provider-token'], ['/entries/0/body', 3, 'email'], ['/entries/0/body', 3, 'home-path']]);
  t.is(imp.status.phase, 'AwaitingReview', 'masked content is sensitive: a human looks first');
  const merged = await w.imports.approve(w.org, imp.metadata.name, 'carol');
  const text = w.repo.git('show', `${merged.status.commit as string}:.company-brain/runbooks/rotate.md`);
  t.regex(text, /api_key = \*\*\*\nAsk \*\*\*@\*\*\*, notes in \/home\/\*\*\*\/notes\./);
  const stored = JSON.stringify(await w.store.resources.get('AgentRunMemoryImport', merged.metadata.namespace, merged.metadata.name));
  const events = JSON.stringify(await w.store.events.since(0, { org: w.org, limit: 1000 }));
  for (const where of [stored, events, text]) {
    t.false(where.includes(SECRET));
    t.false(where.includes('ops@example.com'));
  }
});

test('bad entries are refused before anything is recorded', async (t) => {
  const w = await world();
  const err = await t.throwsAsync(w.imports.collect(w.org, { source: { kind: 'AgentDispatchRun', name: 'run-e1' }, entries: [{ type: 'rumour', id: 'x' }, { type: 'relationship', id: 'r' }], actor: 'a' }));
  t.true(isKradleError(err));
  t.deepEqual((err as KradleError).details.map((d) => d.field), ['/entries/0/type', '/entries/1']);
  t.is((await w.imports.list(w.org)).items.length, 0);
});

test('an import left mid-way (repository unreachable) resumes from its phase when a reconciler starts', async (t) => {
  const down = await world(() => { throw new Error('memory repository unreachable'); });
  const imp = await down.imports.collect(down.org, { source: { kind: 'AgentDispatchRun', name: 'run-f1' }, entries: confident.slice(0, 1), actor: 'alice' });
  t.is(imp.status.phase, 'Redacting', 'redaction needs no repository; normalizing does');
  t.regex(String(imp.status.lastError), /unreachable/);
  // "Restart": a new service with a working repository, and the reconciler's start-up resync.
  const imports = createMemoryImportService({ store: down.store, desired: () => down.state, repos: () => ({ gitdir: join(down.repo.dir, '.git') }) });
  const reconciler = createImportReconciler({ store: down.store, imports });
  await reconciler.start();
  await reconciler.idle();
  reconciler.stop();
  const done = await imports.get(down.org, imp.metadata.name);
  t.is(done.status.phase, 'Merged');
  t.is(down.repo.git('rev-parse', 'kradle/agent-memory/run-f1'), done.status.commit as string);
  t.deepEqual((await importEvents(down, imp.metadata.name)).filter((e) => e === 'MEMORY_IMPORT_REDACTING').length, 1, 'no phase is entered twice');
});
