import { sanitize } from '../../errors/index.ts';
import type { BackoffOptions } from '../backoff.ts';
import { createLoop, type Loop } from '../loop.ts';
import type { Scheduler } from '../scheduler.ts';

export interface QueuedRunRetryDeps {
  /** Starts every Queued run of an org again (the agents' dispatch service); returns the runs as they are now. */
  retryQueued(org: string): Promise<{ status: Record<string, unknown> }[]>;
  /** The orgs to look at: those of the desired state. */
  orgs(): readonly string[];
  logger: { warn(obj: object, msg: string): void };
  /** How often every org is looked at again; 1 min by default. */
  resyncIntervalMs?: number;
  /** Back-off of an org whose runs stay Queued (a cluster outage); 1 s doubling to 5 min by default. */
  backoff?: BackoffOptions;
  scheduler?: Scheduler;
}

/**
 * Leader-only: agent runs left Queued after a failed Job creation (an API server outage, a quota) are started
 * again, one key per org, backing off while they stay Queued. A start claims its run, so this loop and a
 * dispatch request racing on one run never create two Jobs.
 */
export function createQueuedRunRetry(deps: QueuedRunRetryDeps): Loop<string> {
  return createLoop<string>({
    name: 'queued-run-retry',
    concurrency: 2,
    resyncIntervalMs: deps.resyncIntervalMs ?? 60_000,
    backoff: deps.backoff ?? { baseMs: 1000 },
    scheduler: deps.scheduler,
    enqueueAll(add) {
      for (const org of deps.orgs()) add(org);
    },
    async handler(org) {
      const runs = await deps.retryQueued(org);
      return runs.some((r) => r.status.phase === 'Queued') ? 'requeue' : 'success';
    },
    onError: (org, err, info) => deps.logger.warn({ org, retryInMs: info.retryInMs, err: sanitize(err instanceof Error ? err.message : String(err)) }, 'retry of Queued agent runs failed'),
    onResyncError: (err) => deps.logger.warn({ err: sanitize(String(err)) }, 'listing orgs for Queued agent runs failed'),
  });
}
