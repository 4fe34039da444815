import test from 'ava';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createMemoryImportService, createMemoryRepoLocator, createMemoryService, type SecretReader } from '../../src/agents/index.ts';
import type { KradleError } from '../../src/errors/index.ts';
import { tenantNamespace } from '../../src/kinds/index.ts';
import { createBareClone, createTestRepo, runGit, tempDir } from '../support/git-repo.ts';
import { startGitHttpServer, type GitHttpServer } from '../support/git-http-server.ts';
import { testDrivers, uniqueName } from '../support/store.ts';
import { doc, loadState, orgFiles } from './helpers.ts';

const [driver] = testDrivers(test);
const TOKEN = 'memory-push-token-0123456789';
const cleanup: (() => void | Promise<void>)[] = [];
test.after.always(async () => { for (const f of cleanup) await f(); });

let served: Promise<{ server: GitHttpServer; root: string }> | undefined;
function serve() {
  served ??= (async () => {
    const root = tempDir('kradle-mem-http-');
    const server = await startGitHttpServer({ root, token: TOKEN });
    cleanup.push(() => server.close(), () => rmSync(root, { recursive: true, force: true }));
    return { server, root };
  })();
  return served;
}

async function setup(secret: string) {
  const { server, root } = await serve();
  const org = uniqueName('rm');
  const seed = createTestRepo();
  seed.commit({ '.company-brain/runbooks/deploy.md': '# Deploy\n\nRun the pipeline.\n' }, 'seed');
  const bare = createBareClone(seed.dir, join(root, `${org}.git`));
  seed.remove();
  const state = await loadState(orgFiles(org, { extra: [
    doc('Repository', 'company-brain', { organizationRef: org, visibility: 'private' }),
    doc('AgentMemoryRepository', 'brain', { organizationRef: org, repositoryRef: 'company-brain', defaultBranch: 'main', layoutProfile: 'company-brain-v1', url: `${server.url}/${org}.git`, credentialRef: { name: 'brain-git', key: 'token' } }),
  ] }));
  const reads: string[] = [];
  const secrets: SecretReader = async (o, name, key) => {
    reads.push(`${o}/${name}/${key}`);
    return o === org && name === 'brain-git' && key === 'token' ? secret : undefined;
  };
  const cacheDir = tempDir('kradle-mem-cache-');
  cleanup.push(() => rmSync(cacheDir, { recursive: true, force: true }));
  const store = await driver!.store();
  const deps = { store, desired: () => state, ...createMemoryRepoLocator({ baseDir: cacheDir, cacheDir, secrets }) };
  return { org, bare, store, reads, memory: createMemoryService(deps), imports: createMemoryImportService(deps) };
}

const remoteRev = (bare: string, ref: string) => runGit(bare, ['rev-parse', ref]);

test('a memory update on a remote repository is fetched, committed and pushed to kradle/agent-memory/<run>', async (t) => {
  const w = await setup(TOKEN);
  const main = remoteRev(w.bare, 'main');
  const u = await w.memory.proposeUpdate(w.org, { sourceRun: 'run-r1', changes: [{ path: '.company-brain/runbooks/rollback.md', content: '# Rollback\n\nUse the previous tag.\n' }] });
  t.is(u.status.baseCommit, main);
  t.is(remoteRev(w.bare, 'kradle/agent-memory/run-r1'), u.status.commit as string);
  t.is(runGit(w.bare, ['show', `${u.status.commit as string}:.company-brain/runbooks/rollback.md`]), '# Rollback\n\nUse the previous tag.');
  t.is(remoteRev(w.bare, 'main'), main, 'the default branch is left alone');
  t.true(w.reads.every((r) => r === `${w.org}/brain-git/token`), 'the credential comes from the referenced Secret');
  const q = await w.memory.query(w.org, { query: 'pipeline', requester: 'alice' });
  t.is(q.commit, main);
  t.is(q.results.length, 1);
});

test('an import into a remote repository pushes its memory branch', async (t) => {
  const w = await setup(TOKEN);
  const imp = await w.imports.collect(w.org, { source: { kind: 'AgentDispatchRun', name: 'run-r2' }, entries: [{ type: 'runbook', id: 'cache', body: 'Clear the cache first.', confidence: 0.9 }], actor: 'alice' });
  t.is(imp.status.phase, 'Merged');
  t.is(remoteRev(w.bare, 'kradle/agent-memory/run-r2'), imp.status.commit as string);
});

test('a bad credential gives a clear error without the credential, and records nothing', async (t) => {
  const bad = 'wrong-secret-value-98765';
  const w = await setup(bad);
  const err = (await t.throwsAsync(w.memory.proposeUpdate(w.org, { sourceRun: 'run-r3', changes: [{ path: '.company-brain/runbooks/x.md', content: 'x\n' }] }))) as KradleError;
  t.is(err.status, 502);
  t.regex(err.message, /fetch of http:\/\/127\.0\.0\.1:\d+\/rm-[0-9a-f]+\.git failed: HTTP 401/);
  t.false(JSON.stringify({ m: err.message, d: err.details, s: err.stack }).includes(bad));
  t.is((await w.store.resources.list('AgentMemoryUpdate', { namespace: tenantNamespace(w.org) })).items.length, 0);
  const events = JSON.stringify(await w.store.events.since(0, { org: w.org, limit: 1000 }));
  t.false(events.includes(bad));
});
