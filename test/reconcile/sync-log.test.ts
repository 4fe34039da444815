// What an operator reads in the log of the sync loop: one line per pass that changed something or failed, with
// the revision, the counts and the first errors; nothing for a pass (or a poll) that changed nothing.
import test from 'ava';
import { buildCrds } from '../../src/cluster/index.ts';
import { createLogger } from '../../src/cli/logger.ts';
import { createTestRepo } from '../support/git-repo.ts';
import { startKubeApiServer } from '../support/kube-api-server/index.ts';
import { testDrivers } from '../support/store.ts';
import { createTestSync, crdsFor, liveDriverFor, orgDocs } from '../support/sync-harness.ts';

const [pglite] = testDrivers(test);

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const CRDS = crdsFor(['Organization', 'OrgNamespaceBinding', 'Team', 'AgentServiceAccount', 'RunnerPool'], buildCrds());

interface Line {
  level: number;
  msg: string;
  revision?: string;
  created?: number;
  configured?: number;
  pruned?: number;
  failed?: number;
  errors?: string[];
}

// Serial: both tests' controllers share the file's store, so they take turns at its one leader lock; a test whose
// controller loses that race only follows, and a follower logs no pass.
test.serial('one line per sync: info with counts when it changed something, error with the first errors when objects failed, none otherwise', async (t) => {
  const server = await startKubeApiServer();
  t.teardown(() => server.stop());
  const lines: Line[] = [];
  const logger = await createLogger('info', { write: (l: string) => void lines.push(JSON.parse(l) as Line) });
  const repo = createTestRepo();
  const first = repo.commit(orgDocs('logs'), 'add logs');
  const sync = createTestSync({ repoDir: repo.dir, store: await pglite!.store(), driver: liveDriverFor(server), crds: CRDS, logger });
  t.teardown(() => sync.stop());
  await sync.start();
  await sync.trigger('test');
  const syncLines = () => lines.filter((l) => l.msg.startsWith('sync: '));
  t.is(syncLines().length, 1);
  t.like(syncLines()[0], { level: 30, revision: first, configured: 0, pruned: 0, failed: 0 });
  t.true(syncLines()[0]!.created! > 0);
  t.regex(syncLines()[0]!.msg, new RegExp(`^sync: revision ${first.slice(0, 12)} applied: created \\d+, configured 0, pruned 0$`));

  await sync.trigger('poll');
  await sync.trigger('resync', { record: true });
  t.is(syncLines().length, 1, 'a poll that found the same revision, and a pass that changed nothing, log nothing');

  server.faults.failNext(1, { status: 422, method: 'PATCH', path: /\/teams\/second$/, message: 'the team is refused' });
  const second = repo.commit({ 'orgs/logs/teams/second.yaml': orgDocs('logs')['orgs/logs/teams/platform.yaml']!.replace('name: platform', 'name: second') }, 'second team');
  await sync.trigger('test');
  const failed = syncLines().filter((l) => l.revision === second);
  t.is(failed.length, 1);
  t.is(failed[0]!.level, 50, 'at error');
  t.is(failed[0]!.failed, 1);
  t.regex(failed[0]!.msg, new RegExp(`^sync: revision ${second.slice(0, 12)} PartiallyApplied: created 0, configured 0, pruned 0, 1 failed: \\S+ .*Team\\/kradle-org-logs\\/second.*HTTP 422`));
  t.true(failed[0]!.errors!.some((e) => e.includes('kradle-org-logs/second')), 'the failed object is named');
});

test.serial('a failed drift repair is logged with its cause: the HTTP status and reason the API server answered', async (t) => {
  const server = await startKubeApiServer();
  t.teardown(() => server.stop());
  const lines: (Line & { err?: string; key?: string })[] = [];
  const logger = await createLogger('info', { write: (l: string) => void lines.push(JSON.parse(l) as Line) });
  const repo = createTestRepo();
  repo.commit(orgDocs('heal'), 'add heal');
  const sync = createTestSync({ repoDir: repo.dir, store: await pglite!.store(), driver: liveDriverFor(server), crds: CRDS, logger });
  t.teardown(() => sync.stop());
  await sync.start();
  await sync.trigger('test');
  const ref = { apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', namespace: 'kradle-org-heal', name: 'platform' };
  await until(() => server.openWatches() >= 5, 'the owned kinds watched');
  server.faults.failNext(1, { status: 503, method: 'PATCH', path: /\/teams\/platform$/, message: 'the apiserver is shutting down' });
  const live = server.object(ref)!;
  server.put({ ...live, spec: { ...(live.spec as object), displayName: 'Edited by hand' } }, 'kubectl-edit');
  const repairFailed = () => lines.find((l) => l.msg === 'sync failed' && l.err?.includes('drift repair of'));
  await until(() => repairFailed() !== undefined, 'the failed repair logged');
  const failed = repairFailed()!;
  t.regex(failed.err!, /drift repair of \S*Team\S*platform failed: apply .*Team kradle-org-heal\/platform: ServiceUnavailable \(HTTP 503\): the apiserver is shutting down$/);
});

test.serial('a revision with warnings logs them once, at warn level, whether it applies or not', async (t) => {
  const server = await startKubeApiServer();
  t.teardown(() => server.stop());
  const lines: (Line & { warningCount?: number; warnings?: string[] })[] = [];
  const logger = await createLogger('info', { write: (l: string) => void lines.push(JSON.parse(l) as Line) });
  const repo = createTestRepo();
  const team = 'orgs/warn/teams/platform.yaml';
  const clean = orgDocs('warn');
  const typo = repo.commit({ ...clean, [team]: `${clean[team]}  parentTeam: ghost\n` }, 'add warn, with a typo');
  const sync = createTestSync({ repoDir: repo.dir, store: await pglite!.store(), driver: liveDriverFor(server), crds: CRDS, logger });
  t.teardown(() => sync.stop());
  await sync.start();
  await sync.trigger('test');
  const warned = () => lines.filter((l) => l.msg.includes('warning'));
  t.is(warned().length, 1);
  t.like(warned()[0], { level: 40, revision: typo, warningCount: 1 });
  t.is(warned()[0]!.msg, `sync: revision ${typo.slice(0, 12)} has 1 warning: ${team}:8:3: warning UNKNOWN_FIELD spec.parentTeam is not a field of Team; it is ignored`);
  t.truthy(lines.find((l) => l.revision === typo && /applied/.test(l.msg)), 'the revision is applied all the same');

  await sync.trigger('resync', { record: true });
  t.is(warned().length, 1, 'the same revision again logs nothing more');
  const fixed = repo.commit({ [team]: clean[team]! }, 'fix the typo');
  await sync.trigger('test');
  t.is(warned().length, 1, 'a revision without warnings logs none');
  const invalid = repo.commit({ [team]: `${clean[team]!.replace('  displayName: Platform\n', '')}  displayNme: Platform\n` }, 'typo in a required field');
  await sync.trigger('test');
  t.not(invalid, fixed);
  t.deepEqual(warned().map((l) => [l.revision, l.warnings]), [
    [typo, [`${team}:8:3: warning UNKNOWN_FIELD spec.parentTeam is not a field of Team; it is ignored`]],
    [invalid, [`${team}:7:3: warning UNKNOWN_FIELD spec.displayNme is not a field of Team; it is ignored`]],
  ], 'an invalid revision logs its warnings beside its errors');
});
