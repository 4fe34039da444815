import { Cron } from 'croner';
import { BadRequestError } from '../errors/index.ts';
import { refName } from '../kinds/index.ts';

/** An event a trigger rule may react to (spec §8). */
export interface TriggerEvent {
  type: string;
  source: { kind: string; name: string };
  repository?: string;
  actor?: string;
  action?: string;
  /** Comment body, for comment events. */
  body?: string;
  /** Label added, for label events. */
  label?: string;
  /** True when the event comes from a pull request of a fork: such events never launch a run. */
  fork?: boolean;
  /** Git ref the event is about (the run's source ref). */
  ref?: string;
  /** Explicit identity from a forge delivery; otherwise derived from type and source. */
  uid?: string;
}

export interface TriggerRuleSpec {
  sources?: string[];
  repository?: string | { name: string };
  allowedActors?: string[];
  enabled?: boolean;
  cronExpression?: string;
  webhookTrigger?: { events?: string[]; repository?: string; action?: string };
  commentTrigger?: { pattern?: string; prefix?: string };
  labelTrigger?: { labels?: string[]; label?: string };
  [field: string]: unknown;
}

const EVENT_STRINGS = ['repository', 'actor', 'action', 'body', 'label', 'ref', 'uid'] as const;

/** An event from a request body, checked field by field: a wrong type is a 400, not a crash deep in matching. */
export function checkEvent(value: unknown): TriggerEvent {
  const e = (value ?? {}) as Record<string, unknown>;
  const source = e.source as Record<string, unknown> | undefined;
  if (typeof e !== 'object' || Array.isArray(e) || typeof e.type !== 'string' || !e.type) throw new BadRequestError('event needs a type string');
  if (!source || typeof source !== 'object' || typeof source.kind !== 'string' || !source.kind || typeof source.name !== 'string' || !source.name) {
    throw new BadRequestError('event needs source {kind, name} strings');
  }
  for (const f of EVENT_STRINGS) if (e[f] !== undefined && e[f] !== null && typeof e[f] !== 'string') throw new BadRequestError(`event ${f} must be a string`);
  if (e.fork !== undefined && typeof e.fork !== 'boolean') throw new BadRequestError('event fork must be a boolean');
  return e as unknown as TriggerEvent;
}

export type MatchResult = { matched: true } | { matched: false; reason: string };

/** §8.3: the identity used to de-duplicate; repeated failures of one pipeline share it, so they coalesce. */
export function eventUid(event: TriggerEvent): string {
  return event.uid ?? `${event.type}:${event.source.kind}:${event.source.name}`;
}

/** §8.2 rule matching, for event, comment, label and webhook rules alike; the reason says why not. */
export function matchRule(spec: TriggerRuleSpec, event: TriggerEvent): MatchResult {
  if (spec.enabled === false) return { matched: false, reason: 'rule is disabled' };
  if (event.fork) return { matched: false, reason: 'events from fork pull requests never launch agent runs' };
  if (spec.webhookTrigger && event.type === 'webhook') return matchWebhook(spec.webhookTrigger, event);
  if (!spec.sources?.includes(event.type)) {
    return { matched: false, reason: `event type ${event.type} is not among the rule's sources` };
  }
  const repo = refName(spec.repository);
  if (repo && repo !== event.repository) return { matched: false, reason: `repository ${event.repository ?? '(none)'} is not ${repo}` };
  if (spec.allowedActors?.length && !spec.allowedActors.includes(event.actor ?? '')) {
    return { matched: false, reason: `actor ${event.actor ?? '(none)'} is not allowed` };
  }
  if (event.type === 'comment' && spec.commentTrigger) return matchComment(spec.commentTrigger, event.body ?? '');
  if (event.type === 'label' && spec.labelTrigger) {
    const wanted = spec.labelTrigger.labels ?? (spec.labelTrigger.label ? [spec.labelTrigger.label] : []);
    if (wanted.length && !wanted.includes(event.label ?? '')) return { matched: false, reason: `label ${event.label} is not watched` };
  }
  return { matched: true };
}

function matchWebhook(trigger: NonNullable<TriggerRuleSpec['webhookTrigger']>, event: TriggerEvent): MatchResult {
  const events = trigger.events;
  const kind = event.source.kind;
  if (events && !events.includes('*') && !events.includes(kind)) return { matched: false, reason: `webhook event ${kind} is not watched` };
  if (trigger.repository && trigger.repository !== event.repository) return { matched: false, reason: `repository ${event.repository} is not ${trigger.repository}` };
  if (trigger.action && trigger.action !== event.action) return { matched: false, reason: `action ${event.action} is not ${trigger.action}` };
  return { matched: true };
}

function matchComment(trigger: NonNullable<TriggerRuleSpec['commentTrigger']>, body: string): MatchResult {
  if (trigger.prefix && !body.trimStart().startsWith(trigger.prefix)) return { matched: false, reason: `comment does not start with ${trigger.prefix}` };
  if (trigger.pattern) {
    let re: RegExp;
    try {
      re = new RegExp(trigger.pattern);
    } catch {
      return { matched: false, reason: 'the rule\'s comment pattern is not a valid regular expression' };
    }
    if (!re.test(body)) return { matched: false, reason: 'comment does not match the pattern' };
  }
  return { matched: true };
}

/** Throws with a readable message when a cron expression is invalid. */
export function validateCronExpression(expr: string): void {
  new Cron(expr, { paused: true }).stop();
}

/** The next time a cron rule fires after `from`, or undefined when it never will. */
export function nextCronRun(expr: string, from: Date): Date | undefined {
  const job = new Cron(expr, { paused: true });
  try {
    return job.nextRun(from) ?? undefined;
  } finally {
    job.stop();
  }
}
