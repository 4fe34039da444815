import type { DesiredState } from '../loader/types.ts';
import { createLoop, orgKey, type Scheduler } from '../reconcile/index.ts';
import type { TriggerService } from './trigger-service.ts';
import { nextCronRun } from './triggers.ts';

export interface CronSchedulerDeps {
  desired: () => DesiredState | undefined;
  triggers: Pick<TriggerService, 'processEvent'>;
  onError?: (err: unknown) => void;
  scheduler?: Scheduler;
}

/**
 * Leader-only: every replica follows the rules (update), only the one holding the leader lock fires them
 * (start and stop come from the leadership manager), so a tick is dispatched by one replica, not by each.
 */
export interface CronScheduler {
  readonly name: string;
  /** Follows the cron rules of the current desired state (called with each new state); returns how many there are. */
  update(): number;
  /** Starts firing the rules (this replica took the leader lock); each rule waits for its next tick from now. */
  start(): Promise<void>;
  /** Stops firing (the lock was lost, or shutdown); nothing fires until start again. */
  stop(): Promise<void>;
  /** Next fire times, for status pages. */
  next(): { rule: string; next: string | null }[];
  /** Resolves when no rule is being fired (tests). */
  idle(): Promise<void>;
}

interface CronRule {
  org: string;
  name: string;
  expr: string;
  /** The tick this rule fires next; it moves on only once that tick was handed to processEvent. */
  due?: Date;
}

/** setTimeout's limit is ~24.8 days; a later tick is re-checked after this long. */
const MAX_WAIT_MS = 24 * 3_600_000;

/**
 * Cron rules (spec.cronExpression) on the reconcile engine: one key per rule, each run fires the rule's due tick
 * through processEvent and asks to run again at the next one (requeueAfterMs), so the work queue is the only
 * timer. The event uid carries the scheduled minute, so two replicas firing the same tick dispatch once, and a
 * failed fire is retried with the queue's back-off for the same tick.
 */
export function createCronScheduler(deps: CronSchedulerDeps): CronScheduler {
  const now = () => new Date(deps.scheduler?.now() ?? Date.now());
  let rules = new Map<string, CronRule>();

  const loop = createLoop<string>({
    name: 'cron-triggers',
    concurrency: 2,
    scheduler: deps.scheduler,
    enqueueAll: (add) => {
      for (const key of rules.keys()) add(key);
    },
    async handler(key) {
      const rule = rules.get(key);
      if (!rule) return 'success';
      rule.due ??= nextCronRun(rule.expr, now());
      if (!rule.due) return 'success';
      if (rule.due.getTime() <= now().getTime()) {
        const tick = rule.due.toISOString().slice(0, 16);
        await deps.triggers.processEvent(rule.org, { type: 'schedule', source: { kind: 'AgentTriggerRule', name: rule.name }, uid: `schedule:${rule.name}:${tick}` });
        rule.due = nextCronRun(rule.expr, now());
        if (!rule.due) return 'success';
      }
      return { requeueAfterMs: Math.min(MAX_WAIT_MS, Math.max(1, rule.due.getTime() - now().getTime())) };
    },
    onError: (_key, err) => deps.onError?.(err),
  });

  function update(): number {
    const next = new Map<string, CronRule>();
    for (const rule of deps.desired()?.byKind('AgentTriggerRule') ?? []) {
      const expr = rule.object.spec.cronExpression;
      if (typeof expr !== 'string' || rule.object.spec.enabled === false || !rule.org) continue;
      const key = orgKey(rule.org, rule.id.name);
      const known = rules.get(key);
      // An unchanged rule keeps its due tick (a new state must not skip or repeat one); a changed one starts over.
      next.set(key, known && known.expr === expr ? known : { org: rule.org, name: rule.id.name, expr });
    }
    rules = next;
    if (loop.running) for (const key of rules.keys()) loop.add(key);
    return rules.size;
  }

  return {
    name: 'cron-triggers',
    update,
    async start() {
      if (loop.running) return;
      update();
      // A tick due while another replica led (or none did) was that replica's to fire; a stale one is not caught up.
      for (const rule of rules.values()) rule.due = undefined;
      await loop.start();
    },
    stop: () => loop.stop(),
    next: () => [...rules.values()].map((r) => ({ rule: r.name, next: (r.due ?? nextCronRun(r.expr, now()))?.toISOString() ?? null })),
    idle: () => loop.whenIdle(),
  };
}
