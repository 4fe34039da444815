// Shared setup of dispatch tests: a PGlite store, the test Kubernetes API server and the live driver.
import { join } from 'node:path';
import type { TestFn } from 'ava';
import pino from 'pino';
import { createDispatchService, createApprovalService, type DispatchService, type ApprovalService } from '../../src/agents/index.ts';
import type { Role, RouteDef } from '../../src/api/index.ts';
import { createLiveDriver } from '../../src/cluster/live-driver.ts';
import type { DesiredState } from '../../src/loader/index.ts';
import { createAgentWiring } from '../../src/server/agents.ts';
import type { Store } from '../../src/store/index.ts';
import { client, makeToken, startApi } from '../support/api-client.ts';
import { configOf, fakeSync } from '../support/api-fakes.ts';
import { createTestRepo, type TestRepo } from '../support/git-repo.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { testDrivers } from '../support/store.ts';
import { doc, loadState, orgFiles, type OrgOptions } from './helpers.ts';

export interface World {
  store: Store;
  kube: KubeApiServer;
  state: DesiredState;
  dispatch: DispatchService;
  approvals: ApprovalService;
  job(run: string): Record<string, unknown> | undefined;
}

export function dispatchWorld(test: TestFn) {
  const [driver] = testDrivers(test);
  let kube: Promise<KubeApiServer> | undefined;
  test.after.always(async () => { if (kube) await (await kube).stop(); });
  return async function world(orgs: Record<string, OrgOptions>, extra: Partial<Parameters<typeof createDispatchService>[0]> = {}): Promise<World> {
    const store = await driver!.store();
    kube ??= startKubeApiServer();
    const server = await kube;
    let files: Record<string, string> = {};
    for (const [org, opts] of Object.entries(orgs)) {
      files = { ...files, ...orgFiles(org, opts) };
      server.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: opts.namespace ?? `kradle-org-${org}` } });
    }
    const state = await loadState(files);
    const deps = { store, driver: createLiveDriver({ kubeConfig: server.kubeConfig }), desired: () => state, callbackBaseUrl: 'https://kradle.test', ...extra };
    const dispatch = createDispatchService(deps);
    const approvals = createApprovalService({ store, desired: () => state, runs: dispatch });
    const [org] = Object.keys(orgs);
    const namespace = orgs[org!]!.namespace ?? `kradle-org-${org}`;
    return {
      store, kube: server, state, dispatch, approvals,
      job: (run) => server.object({ apiVersion: 'batch/v1', kind: 'Job', namespace, name: `kradle-agent-${run}` }),
    };
  };
}

export const request = (over: Record<string, unknown> = {}) => ({
  stack: 'fixer', repository: 'api', sourceRefs: ['refs/heads/main'], taskKind: 'fix', requestedBy: 'alice', ...over,
});

interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * The server's own agent wiring over a world's store and cluster, and an API serving its routes, as `kradle serve`
 * puts them together. `leader: false` leaves the leader-only loops (Job watch, imports, retries) to the test.
 */
export async function wiredApi(t: Teardown, w: World, opts: { leader?: boolean } = {}) {
  const wiring = createAgentWiring({ store: w.store, driver: createLiveDriver({ kubeConfig: w.kube.kubeConfig }), desired: () => w.state, callbackBaseUrl: 'https://kradle.test', logger: pino({ level: 'silent' }) });
  if (opts.leader !== false) await wiring.startLeaderWork();
  t.teardown(() => wiring.stop());
  const api = await startApi({ store: w.store, config: configOf(() => w.state), sync: fakeSync(), extraRoutes: wiring.routes as unknown as RouteDef[] });
  t.teardown(() => api.close());
  return { wiring, api, as: async (org: string, role: Role, subject: string) => client(api.url, await makeToken(api.app, org, role, subject)) };
}

/** A memory repository on disk holding one graph node, and the two documents that declare it in `org`. */
export function memoryRepo(t: Teardown, org: string): { repo: TestRepo; docs: string[] } {
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  repo.commit({ '.company-brain/graph/api.yaml': 'nodes:\n  - { id: api, kind: service }\n' }, 'seed');
  return {
    repo,
    docs: [
      doc('Repository', 'company-brain', { organizationRef: org, visibility: 'private' }),
      doc('AgentMemoryRepository', 'brain', { organizationRef: org, repositoryRef: 'company-brain', defaultBranch: 'main', layoutProfile: 'company-brain-v1', url: join(repo.dir, '.git') }),
    ],
  };
}
