import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import {
  agentRouteDefs,
  createApprovalService,
  createCronScheduler,
  createDispatchService,
  createMemoryService,
  createStackReadinessSync,
  createTriggerService,
  type AgentRouteDef,
} from '../agents/index.ts';
import type { ClusterDriver, WatchHandle } from '../cluster/types.ts';
import { WaitingError, sanitize } from '../errors/index.ts';
import type { DesiredState } from '../loader/types.ts';
import type { Store } from '../store/types.ts';

interface AgentWiringDeps {
  store: Store;
  driver: ClusterDriver;
  desired: () => DesiredState | undefined;
  callbackBaseUrl: string;
  logger: Logger;
  /** Where relative memory repository paths are resolved from. */
  baseDir?: string;
}

/**
 * The agents domain, wired: dispatch, approvals, triggers (with cron), memory and stack readiness.
 * Memory repositories are local Git repositories named by AgentMemoryRepository spec.url (or spec.path).
 */
export function createAgentWiring(deps: AgentWiringDeps) {
  const { store, driver, desired, logger } = deps;
  const dispatch = createDispatchService({ store, driver, desired, callbackBaseUrl: deps.callbackBaseUrl });
  const approvals = createApprovalService({ store, desired, runs: dispatch });
  const triggers = createTriggerService({ store, desired, dispatch });
  const memory = createMemoryService({
    store,
    desired,
    repos: ({ org, name, spec }) => {
      const location = String(spec.url ?? spec.path ?? '');
      if (!location || /^[a-z]+:\/\//i.test(location)) {
        throw new WaitingError(`AgentMemoryRepository ${org}/${name}: only local repositories (spec.url as a path) are supported so far`);
      }
      return { gitdir: isAbsolute(location) ? location : resolve(deps.baseDir ?? process.cwd(), location) };
    },
  });
  const cron = createCronScheduler({ desired, triggers, onError: (err) => logger.warn({ err: sanitize(String(err)) }, 'scheduled trigger failed') });
  const readiness = createStackReadinessSync(async (r) => {
    await store.events.publish({ org: r.org, type: 'StackReadiness', kind: 'AgentStack', name: r.stack, payload: { ready: r.ready, conditions: r.conditions, missing: r.missing } });
  });
  let jobWatch: WatchHandle | undefined;
  const routes: AgentRouteDef[] = agentRouteDefs({ dispatch, approvals, triggers, memory });

  return {
    routes,
    onState(state: DesiredState) {
      cron.start();
      void readiness(state).catch((err) => logger.warn({ err: sanitize(String(err)) }, 'stack readiness update failed'));
    },
    /** Leader-only work: watching agent Jobs to completion. */
    async startLeaderWork() {
      if (driver.mode === 'live') jobWatch = await dispatch.watchJobs((err) => logger.warn({ err: sanitize(String(err)) }, 'agent job watch error'));
    },
    async stop() {
      cron.stop();
      jobWatch?.stop();
    },
  };
}
