// Shared setup of dispatch tests: a PGlite store, the test Kubernetes API server and the live driver.
import type { TestFn } from 'ava';
import { createDispatchService, createApprovalService, type DispatchService, type ApprovalService } from '../../src/agents/index.ts';
import { createLiveDriver } from '../../src/cluster/live-driver.ts';
import type { DesiredState } from '../../src/loader/index.ts';
import type { Store } from '../../src/store/index.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { testDrivers } from '../support/store.ts';
import { loadState, orgFiles, type OrgOptions } from './helpers.ts';

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
