import type { Logger } from 'pino';
import { canonicalJson } from '../loader/index.ts';
import { createLoop, defineReconciler, watchStoreEvents, type ReconcileContext, type ReconcileStatus, type StepResult } from '../reconcile/index.ts';
import type { StoredResource } from '../store/types.ts';
import { afterAttempt, connectionOf, retryPolicyOf, SENDABLE_PHASES, writeOf, type Attempt, type SendIntentDeps } from './send-intent.ts';

const KIND = 'ExternalWriteIntent';
const ACTOR = 'kradle-external-writer';

export interface WriteIntentSenderDeps extends Omit<SendIntentDeps, 'now'> {
  logger?: Logger;
  now?: () => Date;
  /** Full resync of every sendable intent; 60 s by default. */
  resyncMs?: number;
}

/** Leader-only: start when this replica leads, stop when it loses the lock. */
export interface WriteIntentSender {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves when no intent is waiting or being sent (delayed retries are not waited for). */
  idle(): Promise<void>;
}

interface Held {
  current: StoredResource;
}

const phaseOf = (r: StoredResource) => String(r.status.phase ?? 'PendingApproval');
const keyOf = (r: { namespace?: string | null; name: string }) => `${r.namespace}/${r.name}`;

/**
 * Sends approved ExternalWriteIntents (§11.3) through the provider's adapter: ReadyToSend -> Sending ->
 * Succeeded, or Retrying with back-off -> Failed after the policy's attempts, each attempt recorded in
 * status.attempts. Sending is stored before the request goes out, so a cancel cannot race it, and an intent
 * found Sending after a crash counts that attempt as interrupted. A reconciler on the shared engine.
 */
export function createWriteIntentSender(deps: WriteIntentSenderDeps): WriteIntentSender {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const sendDeps: SendIntentDeps = { ...deps, now };

  async function sendIntent(ctx: ReconcileContext<Held>): Promise<StepResult> {
    const intent = ctx.object.current;
    const policy = retryPolicyOf(deps.desired(), intent);
    const attempts = [...((intent.status.attempts as Attempt[] | undefined) ?? [])];
    const record = (fields: Record<string, unknown>) => {
      const { phase, ...rest } = fields;
      Object.assign(ctx.status, rest, { intentPhase: phase });
    };
    const last = attempts.at(-1);
    if (phaseOf(intent) === 'Sending' && last && !('outcome' in last && last.outcome)) {
      // Sent or not, nobody knows: a crash ended the attempt. It counts, and the policy decides what follows.
      attempts[attempts.length - 1] = { ...last, outcome: 'interrupted', error: 'the sender stopped during this attempt' };
      record(afterAttempt({ ok: false, retryable: true, error: 'interrupted' }, attempts, policy, now()));
      return ctx.status.intentPhase === 'Retrying' ? { requeueAfterMs: 0 } : 'success';
    }
    const due = Date.parse(String(intent.status.nextAttemptAt ?? ''));
    if (phaseOf(intent) === 'Retrying' && due > now().getTime()) return { requeueAfterMs: due - now().getTime() };
    const conn = await connectionOf(sendDeps, intent);
    const attempt: Attempt = { attempt: attempts.length + 1, startedAt: now().toISOString(), outcome: 'interrupted' };
    const { outcome: _pending, ...started } = attempt;
    ctx.object.current = await store.resources.updateStatus({ ...intent, status: { ...intent.status, phase: 'Sending', attempts: [...attempts, started] } }, { actor: ACTOR });
    await ctx.progress(`attempt ${attempt.attempt} of ${policy.maxAttempts}`);
    const result = await conn.adapter.send(writeOf(intent, conn.repository), { endpoint: conn.endpoint, token: conn.token, fetch: deps.fetch });
    attempts.push(result.ok ? { ...attempt, outcome: 'succeeded', status: result.status } : { ...attempt, outcome: 'failed', status: result.status, error: result.error });
    const next = afterAttempt(result, attempts, policy, now());
    record(next);
    deps.logger?.info({ intent: intent.metadata.name, attempt: attempt.attempt, phase: next.phase, status: result.status }, 'external write intent attempt');
    return next.phase === 'Retrying' ? { requeueAfterMs: Date.parse(String(next.nextAttemptAt)) - now().getTime() } : 'success';
  }

  const reconciler = defineReconciler<Held>({
    name: 'external-write-intents',
    async load(key) {
      const [namespace, name] = key.split('/') as [string, string];
      const intent = await store.resources.get(KIND, namespace, name);
      if (!intent || !(SENDABLE_PHASES as readonly string[]).includes(phaseOf(intent))) return undefined;
      // An org the desired state does not declare has no provider to send to; its intents wait untouched.
      if (!deps.desired()?.orgs().includes(String(intent.spec.organizationRef))) return undefined;
      return { object: { current: intent }, generation: intent.metadata.generation, status: intent.status as Partial<ReconcileStatus> };
    },
    steps: [{ name: 'sendIntent', condition: 'SendFailed', run: sendIntent }],
    async saveStatus(ctx) {
      const { phase: _engine, intentPhase, observedGeneration: _g, ...fields } = ctx.status;
      const cur = ctx.object.current;
      const status = { ...cur.status, ...fields, phase: intentPhase ?? cur.status.phase };
      // Writing an unchanged status would wake this reconciler again through its own event.
      if (canonicalJson(status) === canonicalJson(cur.status)) return;
      ctx.object.current = await store.resources.updateStatus({ ...cur, status }, { actor: ACTOR });
    },
    clock: now,
  });

  const loop = createLoop<string>({
    name: 'write-intents',
    handler: (key, signal) => reconciler.reconcile(key, signal),
    async enqueueAll(add) {
      let cont: string | undefined;
      do {
        const page = await store.resources.list(KIND, { limit: 500, continue: cont });
        for (const r of page.items) if ((SENDABLE_PHASES as readonly string[]).includes(phaseOf(r))) add(keyOf(r.metadata));
        cont = page.continue;
      } while (cont);
    },
    resyncIntervalMs: deps.resyncMs ?? 60_000,
    ...watchStoreEvents<string>(store.events, (e, add) => {
      if (e.kind === KIND && (e.type === 'ADDED' || e.type === 'MODIFIED')) add(keyOf(e));
    }, (err) => deps.logger?.warn({ err: String(err) }, 'write intent subscription failed')),
    onError: (key, err, info) => deps.logger?.warn({ key, attempts: info.attempts, err: err instanceof Error ? err.message : String(err) }, 'write intent not sent'),
    onResyncError: (err) => deps.logger?.warn({ err: String(err) }, 'write intent resync failed'),
  });

  return {
    start: () => loop.start(),
    stop: () => loop.stop(),
    idle: () => loop.whenIdle(),
  };
}
