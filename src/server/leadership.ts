import type { Logger } from 'pino';
import { sanitize } from '../errors/index.ts';
import { createWorkQueue } from '../reconcile/index.ts';
import type { LeaderLease, Store } from '../store/types.ts';

/** Work that runs only on the replica holding the leader lock: a reconciler, a watch, a delivery loop. */
export interface LeaderOnly {
  readonly name: string;
  start(): Promise<void>;
  /** Must return promptly: a replica that lost the lock has to stop writing within seconds. */
  stop(): Promise<void>;
}

export interface LeadershipDeps {
  store: Pick<Store, 'tryAcquireLeader'>;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Name of the advisory lock (one per fleet). */
  lockName?: string;
  /** How often a follower tries the lock (and a leader retries work that failed to start); 1 s by default. */
  retryMs?: number;
  /** How long the stops may take before the manager stops waiting (they run at once); 1.5 s by default. */
  stopTimeoutMs?: number;
}

export interface Leadership {
  /** Registered work is started whenever this replica gains the lock and stopped when it loses it. */
  register(work: LeaderOnly): void;
  /** Tries the lock once now (so the caller knows its role), then keeps trying on its own clock. */
  start(): Promise<void>;
  readonly leading: boolean;
  /** Stops every leader-only loop and releases the lock. */
  close(): Promise<void>;
}

export const LEADER_LOCK = 'kradle-sync';

/**
 * Holds the Postgres advisory leader lock and starts and stops every leader-only loop with it. A follower
 * tries the lock every second, independently of the sync poll, so it takes over within a few seconds of the
 * leader's death; a lost lock (the connection dropped, the session was terminated) stops all the work at once.
 * It runs as one key on the engine's work queue, so a slow start never overlaps a stop.
 */
export function createLeadership(deps: LeadershipDeps): Leadership {
  const retryMs = deps.retryMs ?? 1000;
  const stopTimeoutMs = deps.stopTimeoutMs ?? 1500;
  const lockName = deps.lockName ?? LEADER_LOCK;
  const works: LeaderOnly[] = [];
  const started = new Set<LeaderOnly>();
  let lease: LeaderLease | undefined;
  let begun = false;
  let closed = false;

  const errText = (err: unknown) => sanitize(err instanceof Error ? err.message : String(err));

  async function startAll(): Promise<void> {
    for (const work of works) {
      if (started.has(work) || !lease) continue;
      try {
        await work.start();
        started.add(work);
      } catch (err) {
        deps.logger.warn({ work: work.name, err: errText(err) }, 'leader-only work did not start; retried in a second');
      }
    }
  }

  /** Stops every started loop at once, so the slowest one bounds the whole stop, not their sum. */
  async function stopAll(): Promise<void> {
    const running = works.filter((w) => started.delete(w));
    await Promise.all(running.map(async (work) => {
      let timeout: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timeout = setTimeout(() => resolve('late'), stopTimeoutMs)));
      const stopped = work.stop().then(() => 'stopped' as const, (err: unknown) => {
        deps.logger.warn({ work: work.name, err: errText(err) }, 'leader-only work failed to stop cleanly');
        return 'stopped' as const;
      });
      if ((await Promise.race([stopped, late])) === 'late') deps.logger.warn({ work: work.name }, 'leader-only work is slow to stop; moving on');
      clearTimeout(timeout);
    }));
  }

  async function acquire(): Promise<void> {
    const got = await deps.store.tryAcquireLeader(lockName).catch((err: unknown) => {
      deps.logger.warn({ err: errText(err) }, 'leader lock could not be tried; trying again in a second');
      return undefined;
    });
    if (!got) return;
    if (closed) return void (await got.release());
    lease = got;
    deps.logger.info({ lock: lockName }, 'leader: this replica holds the leader lock');
    void got.lost.then(() => {
      if (lease !== got) return;
      lease = undefined;
      deps.logger.warn({ lock: lockName }, 'leader lock lost: stopping leader-only work');
      queue.add('leadership');
    });
  }

  /** Level-triggered: whatever happened since the last run, bring the work in line with the lock. */
  const queue = createWorkQueue<'leadership'>({
    concurrency: 1,
    async handler() {
      if (!lease && started.size > 0) await stopAll();
      if (!lease && !closed) await acquire();
      if (lease) await startAll();
      return { requeueAfterMs: retryMs };
    },
  });

  return {
    register(work) {
      works.push(work);
      if (begun) queue.add('leadership');
    },
    async start() {
      begun = true;
      queue.add('leadership');
      await queue.whenIdle();
    },
    get leading() {
      return Boolean(lease);
    },
    async close() {
      closed = true;
      await queue.shutdown({ drain: true });
      const held = lease;
      lease = undefined;
      await stopAll();
      await held?.release();
    },
  };
}
