// Wires a sync controller the way `kradle serve` does, on a real Git repo, a real store and a test API server.
import type { KubeObject } from '../../src/cluster/types.ts';
import { createLiveDriver, createPlanOnlyDriver, healthOf } from '../../src/cluster/index.ts';
import { createLoader } from '../../src/loader/index.ts';
import { createSyncController, type SyncController } from '../../src/reconcile/sync/index.ts';
import type { SyncLogger } from '../../src/reconcile/sync/controller.ts';
import { createLeadership } from '../../src/server/leadership.ts';
import { createGitSource } from '../../src/source/index.ts';
import type { Store } from '../../src/store/types.ts';
import type { ClusterDriver } from '../../src/cluster/types.ts';
import type { KubeApiServer } from './kube-api-server/index.ts';

export const quietLogger = { info() {}, warn() {}, error() {} };

export function orgDocs(slug: string): Record<string, string> {
  return {
    [`orgs/${slug}/organization.yaml`]: `apiVersion: kradle.a5c.ai/v1alpha1
kind: Organization
metadata:
  name: ${slug}
spec:
  displayName: ${slug.toUpperCase()}
  namespaceName: kradle-org-${slug}
`,
    [`orgs/${slug}/teams/platform.yaml`]: `apiVersion: kradle.a5c.ai/v1alpha1
kind: Team
metadata:
  name: platform
spec:
  organizationRef: ${slug}
  displayName: Platform
`,
    [`orgs/${slug}/agentserviceaccounts/runner.yaml`]: `apiVersion: kradle.a5c.ai/v1alpha1
kind: AgentServiceAccount
metadata:
  name: runner
spec:
  organizationRef: ${slug}
  namespace: kradle-org-${slug}
  serviceAccountName: runner
`,
    [`orgs/${slug}/runnerpools/default.yaml`]: `apiVersion: kradle.a5c.ai/v1alpha1
kind: RunnerPool
metadata:
  name: default
spec:
  organizationRef: ${slug}
  warmReplicas: 2
  maxReplicas: 4
`,
  };
}

/** The few CRDs these tests' documents need: applying all 51 on every test would only cost time. */
export function crdsFor(kinds: string[], all: KubeObject[]): KubeObject[] {
  return all.filter((c) => kinds.includes((c.spec as { names: { kind: string } }).names.kind));
}

export function createTestSync(opts: {
  repoDir: string;
  store: Store;
  driver: ClusterDriver;
  crds: KubeObject[];
  resyncIntervalMs?: number;
  allowEmpty?: boolean;
  /** The controller's logger (quiet by default); a test reads what a pass logged. */
  logger?: SyncLogger;
}): SyncController {
  const loader = createLoader();
  const controller = createSyncController({
    source: createGitSource({ url: opts.repoDir, ref: 'main' }),
    load: (s) => loader.load(s),
    store: opts.store,
    driver: opts.driver,
    healthOf: (obj) => healthOf(obj),
    logger: opts.logger ?? quietLogger,
    crds: opts.crds,
    pollIntervalMs: 3_600_000,
    resyncIntervalMs: opts.resyncIntervalMs ?? 3_600_000,
    allowEmpty: opts.allowEmpty,
  });
  // As `kradle serve` does: the leadership manager starts the controller's leader-only work on the replica
  // holding the lock; stopping the controller also gives the lock up.
  const leadership = createLeadership({ store: opts.store, logger: quietLogger });
  leadership.register(controller.leaderWork);
  return {
    ...controller,
    async start() {
      await controller.start();
      await leadership.start();
    },
    async stop() {
      await leadership.close();
      await controller.stop();
    },
  };
}

export function liveDriverFor(server: KubeApiServer): ClusterDriver {
  return createLiveDriver({ kubeConfig: server.kubeConfig });
}

export { createPlanOnlyDriver };
