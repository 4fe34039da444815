import type { Logger } from 'pino';
import { sanitize } from '../errors/index.ts';

export interface LeaderWorkDeps {
  /** Whether this process holds the leader lock now (the sync controller's status). */
  isLeader(): boolean;
  /** Starts the leader-only work; called on each follower -> leader transition. */
  start(): Promise<void>;
  /** Stops it; called when leadership is lost, and on close while leading. */
  stop(): Promise<void>;
  logger: Logger;
  /** How often leadership is checked; 2 s by default. */
  intervalMs?: number;
}

export interface LeaderWork {
  /** Checks leadership once now (start-up), then keeps polling. */
  start(): Promise<void>;
  /** One check, for tests and start-up: starts or stops the work when leadership changed. */
  check(): Promise<void>;
  readonly running: boolean;
  close(): Promise<void>;
}

/**
 * Runs leader-only work (outbound webhooks, agent Job watches) on whichever replica leads, also when it
 * became leader after start-up. Polling the controller's status keeps reconcile/ free of callbacks for
 * this; checks are serialized so a slow start never overlaps a stop.
 */
export function createLeaderWork(deps: LeaderWorkDeps): LeaderWork {
  let running = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();

  async function transition(): Promise<void> {
    const want = !closed && deps.isLeader();
    if (want === running) return;
    try {
      if (want) await deps.start();
      else await deps.stop();
      running = want;
      deps.logger.info({ leader: want }, want ? 'leader: leader-only work started' : 'leader: leader-only work stopped');
    } catch (err) {
      deps.logger.warn({ err: sanitize(err instanceof Error ? err.message : String(err)) }, 'leader-only work did not change state; retrying at the next check');
    }
  }

  const check = () => (chain = chain.then(transition));

  return {
    async start() {
      await check();
      timer = setInterval(() => void check(), deps.intervalMs ?? 2000);
      timer.unref();
    },
    check,
    get running() {
      return running;
    },
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      await check();
    },
  };
}
