import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  agentRouteDefs,
  createActionGate,
  createAgentAuditor,
  createApprovalService,
  createCronScheduler,
  createDispatchService,
  createImportReconciler,
  createJobController,
  createMemoryImportService,
  createNotificationService,
  createNotifier,
  createMemoryRepoLocator,
  createMemoryService,
  createStackReadinessSync,
  createTriggerService,
  createWorkspaceController,
  createWorkspaceService,
  type AgentRouteDef,
  type ApprovalService,
  type SecretReader,
  type StackReadiness,
} from '../agents/index.ts';
import type { ClusterDriver } from '../cluster/types.ts';
import { sanitize } from '../errors/index.ts';
import { createKubeSecretsPort } from './secrets-port.ts';
import { createRunnerAssigner, createRunnerRegistry, runnerRoutes } from '../runners/index.ts';
import type { DesiredState } from '../loader/types.ts';
import { tenantNamespaceOf } from '../loader/tenant-namespace.ts';
import type { Store } from '../store/types.ts';

interface AgentWiringDeps {
  store: Store;
  driver: ClusterDriver;
  desired: () => DesiredState | undefined;
  callbackBaseUrl: string;
  logger: Logger;
  /** Where relative memory repository paths are resolved from. */
  baseDir?: string;
  /** Where remote memory repositories are fetched to; `<baseDir>/.kradle/cache` by default. */
  cacheDir?: string;
  /** Reads a Secret key for remote memory repository credentials; the cluster's Secrets by default. */
  secrets?: SecretReader;
  /** Called with each stack's readiness when it changes (the cluster CR status writer). */
  onStackReadiness?: (r: StackReadiness) => Promise<void> | void;
}

/**
 * The agents domain, wired: dispatch, approvals, triggers (with cron), memory (updates, queries, imports)
 * and stack readiness. AgentMemoryRepository spec.url is a local path or an http(s) remote whose
 * credentials come from the Secret named by spec.credentialRef.
 */
export function createAgentWiring(deps: AgentWiringDeps) {
  const { store, driver, desired, logger } = deps;
  const baseDir = deps.baseDir ?? process.cwd();
  const secrets: SecretReader = deps.secrets ?? ((org, name, key) => createKubeSecretsPort(driver, (o) => tenantNamespaceOf(desired(), o)).read(org, name, key));
  // The gate asks the approval service, which is built after dispatch (it resumes gated runs): bound late.
  let approvals: ApprovalService | undefined;
  const gate = createActionGate({ store, desired, approvals: {
    isActionApproved: (org, q) => approvals!.isActionApproved(org, q),
    request: (org, req) => approvals!.request(org, req),
  } });
  const memoryDeps = { store, desired, gate, ...createMemoryRepoLocator({ baseDir, cacheDir: deps.cacheDir ?? join(baseDir, '.kradle', 'cache'), secrets }) };
  const memory = createMemoryService(memoryDeps);
  const memoryImports = createMemoryImportService(memoryDeps);
  const dispatch = createDispatchService({ store, driver, desired, callbackBaseUrl: deps.callbackBaseUrl, memoryImports, memory });
  approvals = createApprovalService({
    store, desired, runs: dispatch,
    onDecided: async (org, approval) => {
      await memory.resumeGated(org, approval).catch((err) => logger.warn({ err: sanitize(String(err)), approval: approval.metadata.name }, 'a gated memory write-back did not proceed; propose it again'));
    },
  });
  const triggers = createTriggerService({ store, desired, dispatch });
  const importReconciler = createImportReconciler({
    store, imports: memoryImports, resyncMs: 60_000,
    onError: (err, key) => logger.warn({ err: sanitize(String(err)), key }, 'memory import step failed; it is retried'),
  });
  const cron = createCronScheduler({ desired, triggers, onError: (err) => logger.warn({ err: sanitize(String(err)) }, 'scheduled trigger failed') });
  const latest = new Map<string, StackReadiness>();
  const readiness = createStackReadinessSync(async (r) => {
    latest.set(`${r.org}/${r.stack}`, r);
    await store.events.publish({ org: r.org, type: 'StackReadiness', kind: 'AgentStack', name: r.stack, payload: { ready: r.ready, conditions: r.conditions, missing: r.missing } });
    await deps.onStackReadiness?.(r);
  });
  const jobs = createJobController({
    store, driver, observeJob: (job) => dispatch.observeJob(job), namespaceOf: (org) => tenantNamespaceOf(desired(), org),
    onError: (err, key) => logger.warn({ err: sanitize(String(err)), key }, 'agent job reconcile failed; it is retried'),
  });
  const workspaces = createWorkspaceService(store);
  const workspaceController = createWorkspaceController({
    store, driver, desired, onError: (err, key) => logger.warn({ err: sanitize(String(err)), key }, 'workspace reconcile failed; it is retried'),
  });
  const notifications = createNotificationService(store);
  const notifier = createNotifier({ store, desired, notify: (org, n) => notifications.notify(org, n), onError: (err) => logger.warn({ err: sanitize(String(err)) }, 'notifications: an event was not turned into notifications; it is retried') });
  const auditor = createAgentAuditor({ store, onError: (err) => logger.warn({ err: sanitize(String(err)) }, 'audit: an agent event was not recorded yet; it is retried') });
  const runners = createRunnerRegistry(store);
  const assigner = createRunnerAssigner({ store, runners, onError: (err, key) => logger.warn({ err: sanitize(String(err)), key }, 'runner assignment failed; it is retried') });
  const routes: AgentRouteDef[] = [...agentRouteDefs({ dispatch, approvals, triggers, memory, memoryImports, workspaces, notifications }), ...runnerRoutes(runners, desired, assigner)];
  const leaderWork = [importReconciler, workspaceController, jobs, notifier, auditor, assigner, cron];

  return {
    routes,
    /** Starts the Queued runs of an org again (the leader's queued-run retry reconciler). */
    retryQueued: (org: string) => dispatch.retryQueued(org),
    /** The last readiness computed for a stack: what the API shows as the AgentStack's status conditions. */
    stackReadiness: (org: string, stack: string): StackReadiness | undefined => latest.get(`${org}/${stack}`),
    onState(state: DesiredState) {
      cron.update();
      void readiness(state).catch((err) => logger.warn({ err: sanitize(String(err)) }, 'stack readiness update failed'));
    },
    /** Leader-only work: watching agent Jobs to completion, memory imports, workspaces (resuming any left mid-way), event consumers and cron trigger rules. */
    async startLeaderWork() {
      try {
        for (const work of leaderWork) await work.start();
      } catch (err) {
        // All or nothing: the leadership manager retries a failed start, and stops only work that started.
        await this.stopLeaderWork();
        throw err;
      }
    },
    /** Stops the leader-only work at once (leadership lost); startLeaderWork may run it again later. */
    async stopLeaderWork() {
      await Promise.all(leaderWork.map((work) => work.stop()));
    },
    async stop() {
      await this.stopLeaderWork();
    },
  };
}
