import type { Logger } from 'pino';
import { ConflictError, NotFoundError, sanitize } from '../errors/index.ts';
import { normalizeName, refName, tenantNamespace, type Resource } from '../kinds/index.ts';
import type { DesiredState } from '../loader/types.ts';
import { createBackoff, createLoop, type HandlerResult } from '../reconcile/index.ts';
import type { Store, StoreEvent, StoredResource } from '../store/types.ts';
import { DELIVERY_KIND, PHASE_LABEL, SUBSCRIPTION_LABEL, deliveryBody, deliveryName, newDelivery, type DeliveryPhase } from './delivery-record.ts';
import { subscriptionMatches } from './match.ts';
import { signatureHeader } from './signature.ts';

/** Reads one key of a Secret in an org's namespace (the cluster's Secrets); undefined when absent. */
export interface WebhookSecrets {
  read(org: string, name: string, key: string): Promise<string | undefined>;
}

export interface WebhookDispatcherDeps {
  store: Store;
  secrets: WebhookSecrets;
  config: { current(): DesiredState | undefined };
  fetch: typeof fetch;
  logger: Logger;
  /** Attempts per delivery before it is Failed; 5 by default. */
  maxAttempts?: number;
  /** Delay before the first retry, doubled (with jitter) after each failure up to backoffCapMs; 1 s by default. */
  backoffMs?: number;
  backoffCapMs?: number;
  timeoutMs?: number;
  /** Name of the persisted event cursor; one per dispatcher fleet ('webhook-dispatcher' by default). */
  cursor?: string;
  /** How often every open delivery is looked at again whatever woke the loop; 1 min by default. */
  resyncIntervalMs?: number;
}

export interface WebhookDispatcher {
  readonly name: string;
  /**
   * Leader-only: turns store events after `afterSeq` (default: the persisted cursor, else the newest event) into
   * delivery records, and delivers every open record, those a previous leader left in flight included.
   */
  start(afterSeq?: number): Promise<void>;
  /** Stops; an attempt under way is abandoned unrecorded, and the next leader makes it again under the same id. */
  stop(): Promise<void>;
  /** Sends the event of a recorded delivery again as a new delivery (a new id); returns it after its first attempt. */
  replay(record: StoredResource): Promise<StoredResource>;
  /** Resolves when no delivery is being attempted (retries waiting on their back-off are not waited for). */
  idle(): Promise<void>;
}

type Key = 'intake' | `sub:${string}/${string}`;
const INTAKE_BATCH = 200;
const ACTOR = { actor: 'webhook-dispatcher' };

function secretRefOf(spec: Record<string, unknown>): { name: string; key: string } | undefined {
  const name = refName(spec.secretRef);
  const key = (spec.secretRef as { key?: unknown } | undefined)?.key;
  return name ? { name, key: typeof key === 'string' && key ? key : 'secret' } : undefined;
}

/**
 * Outbound webhooks, at least once with a stable id. Each store event matching an org's WebhookSubscription
 * becomes one WebhookDelivery record, named by (subscription, event) and created under the store's unique key,
 * so no leader, restart or retry ever makes a second one. Its name is the `X-Kradle-Delivery` header of every
 * attempt. Attempts are POSTs signed `X-Kradle-Signature: sha256=<HMAC-SHA256 of the body>` with the secret
 * named by secretRef (never from Git). Runs on the engine's queue, one key per subscription: a healthy receiver
 * sees events in order, and a failing event backs off without holding up the ones behind it.
 */
export function createWebhookDispatcher(deps: WebhookDispatcherDeps): WebhookDispatcher {
  const { store, logger: log } = deps;
  const maxAttempts = deps.maxAttempts ?? 5;
  const cursorName = deps.cursor ?? 'webhook-dispatcher';
  // The engine's back-off, kept per delivery: the queue's own is per subscription and would let one
  // failing event slow the others down.
  const retry = createBackoff({ baseMs: deps.backoffMs ?? 1000, capMs: deps.backoffCapMs ?? 5 * 60_000 });
  let position = 0;

  const subKey = (org: string, sub: string): Key => `sub:${org}/${sub}`;

  function subscribersOf(e: StoreEvent, state: DesiredState): Resource[] {
    // Deliveries write records, which are events too: never deliver those, or one event would loop forever.
    if (!e.org || e.kind === DELIVERY_KIND) return [];
    return state.byOrg(e.org).filter((s) => s.id.kind === 'WebhookSubscription' && subscriptionMatches(s.object.spec, e)).map((s) => s.object);
  }

  async function sign(org: string, sub: Resource, body: string): Promise<string | undefined> {
    const ref = secretRefOf(sub.spec);
    const secret = ref ? await deps.secrets.read(org, ref.name, ref.key) : undefined;
    return secret ? signatureHeader(secret, body) : undefined;
  }

  /** Creates the record of (subscription, event) unless one exists: the store's unique key decides, not a read. */
  async function record(sub: Resource, e: StoreEvent, name = deliveryName(sub.metadata.name, e.seq), replayOf?: string): Promise<StoredResource | undefined> {
    const signature = (await sign(e.org!, sub, deliveryBody(e))) ?? 'unsigned';
    const doc = newDelivery(name, sub.metadata.name, e, String(sub.spec.url), signature);
    if (replayOf) doc.spec.replayOf = replayOf;
    try {
      return await store.resources.create(doc, ACTOR);
    } catch (err) {
      if (err instanceof ConflictError) return undefined;
      throw err;
    }
  }

  async function intake(): Promise<HandlerResult> {
    const state = deps.config.current();
    // Before the first load nobody knows the subscriptions: the events wait rather than being skipped.
    if (!state) return { requeueAfterMs: 1000 };
    const events = await store.events.since(position, { limit: INTAKE_BATCH });
    const touched = new Set<Key>();
    for (const e of events) {
      for (const sub of subscribersOf(e, state)) {
        await record(sub, e);
        touched.add(subKey(e.org!, sub.metadata.name));
      }
    }
    for (const key of touched) loop.add(key);
    if (events.length === 0) return 'success';
    position = events[events.length - 1]!.seq;
    await store.cursors.advance(cursorName, position);
    return events.length === INTAKE_BATCH ? { requeueAfterMs: 0 } : 'success';
  }

  /** Status and phase label in one transaction, so a finished delivery is never found among the open ones. */
  async function finish(rec: StoredResource, phase: DeliveryPhase, fields: Record<string, unknown>): Promise<StoredResource> {
    retry.reset(rec.metadata.name);
    return store.transaction(async (tx) => {
      let done = rec;
      if (rec.status.phase !== phase) {
        done = await tx.resources.updateStatus({ ...rec, status: { ...rec.status, ...fields, phase, finishedAt: new Date().toISOString(), nextAttemptAt: undefined } }, ACTOR);
      }
      if (done.metadata.labels[PHASE_LABEL] === phase) return done;
      return tx.resources.update({ ...done, metadata: { ...done.metadata, labels: { ...done.metadata.labels, [PHASE_LABEL]: phase } } }, ACTOR);
    });
  }

  async function send(sub: Resource, e: StoreEvent, id: string, signal: AbortSignal): Promise<{ ok: boolean; status: Record<string, unknown> }> {
    const body = deliveryBody(e);
    const started = Date.now();
    const signature = await sign(e.org!, sub, body);
    if (!signature) return { ok: false, status: { signature: 'unsigned', error: 'secretRef missing or unreadable: deliveries are always signed' } };
    let status: Record<string, unknown>;
    let ok = false;
    try {
      const res = await deps.fetch(String(sub.spec.url), {
        method: 'POST', body, signal: AbortSignal.any([signal, AbortSignal.timeout(deps.timeoutMs ?? 10_000)]),
        headers: { 'content-type': 'application/json', 'x-kradle-signature': signature, 'x-kradle-event': e.type, 'x-kradle-delivery': id },
      });
      await res.arrayBuffer().catch(() => undefined);
      ok = res.ok;
      status = { responseStatus: res.status, error: undefined };
    } catch (err) {
      status = { responseStatus: undefined, error: sanitize(err instanceof Error ? err.message : String(err)) };
    }
    return { ok, status: { ...status, signature, durationMs: Date.now() - started } };
  }

  /**
   * One step of one open delivery: an attempt when it is due. Returns the delay until its next attempt, or
   * undefined when it is finished (or this replica stopped and leaves it to the next leader).
   */
  async function advance(rec: StoredResource, sub: Resource | undefined, signal: AbortSignal): Promise<number | undefined> {
    const phase = String(rec.status.phase ?? 'Pending');
    if (phase !== 'Pending') return void (await finish(rec, phase as DeliveryPhase, {}));
    const due = Date.parse(String(rec.status.nextAttemptAt ?? '')) - Date.now();
    if (due > 0) return due;
    if (!sub) return void (await finish(rec, 'Failed', { error: `WebhookSubscription ${String(rec.spec.subscription)} no longer exists` }));
    const org = String(rec.spec.organizationRef);
    const seq = Number(rec.spec.eventSeq);
    const [e] = await store.events.since(seq - 1, { org, limit: 1 });
    if (!e || e.seq !== seq) return void (await finish(rec, 'Failed', { error: `event ${seq} is no longer stored` }));
    const n = (Number(rec.status.attempt) || 0) + 1;
    if (n > maxAttempts) return void (await finish(rec, 'Failed', { error: `gave up after ${maxAttempts} attempts` }));
    // The attempt is claimed before it is sent, guarded by resourceVersion: a replica racing on this record
    // (a deposed leader) gets a 409 and sends nothing.
    const claimed = await store.resources.updateStatus({ ...rec, status: { ...rec.status, phase: 'Pending', attempt: n, attemptStartedAt: new Date().toISOString() } }, ACTOR);
    const result = await send(sub, e, rec.metadata.name, signal);
    if (signal.aborted) return undefined;
    if (result.ok) return void (await finish(claimed, 'Delivered', result.status));
    log.warn({ subscription: rec.spec.subscription, delivery: rec.metadata.name, attempt: n, responseStatus: result.status.responseStatus }, 'webhook delivery failed');
    if (n >= maxAttempts) return void (await finish(claimed, 'Failed', result.status));
    const delay = retry.next(rec.metadata.name);
    await store.resources.updateStatus({ ...claimed, status: { ...claimed.status, ...result.status, nextAttemptAt: new Date(Date.now() + delay).toISOString() } }, ACTOR);
    return delay;
  }

  /** Open deliveries of one subscription, oldest event first. */
  async function openDeliveries(org: string, sub: string): Promise<StoredResource[]> {
    const out: StoredResource[] = [];
    let token: string | undefined;
    do {
      const page = await store.resources.list(DELIVERY_KIND, {
        namespace: tenantNamespace(org), labelSelector: `${SUBSCRIPTION_LABEL}=${sub},${PHASE_LABEL}=Pending`, limit: 500, ...(token ? { continue: token } : {}),
      });
      out.push(...page.items);
      token = page.continue;
    } while (token);
    return out.sort((a, b) => Number(a.spec.eventSeq) - Number(b.spec.eventSeq));
  }

  async function deliverSubscription(org: string, name: string, signal: AbortSignal): Promise<HandlerResult> {
    const sub = deps.config.current()?.get('WebhookSubscription', org, name)?.object;
    let next: number | undefined;
    for (const rec of await openDeliveries(org, name)) {
      if (signal.aborted) break;
      const delay = await advance(rec, sub, signal);
      if (delay !== undefined) next = Math.min(next ?? delay, delay);
    }
    return next === undefined ? 'success' : { requeueAfterMs: next };
  }

  /** Every subscription with an open delivery, whoever left it open (a dead leader, a removed subscription). */
  async function enqueueAll(add: (key: Key) => void): Promise<void> {
    add('intake');
    let token: string | undefined;
    do {
      const page = await store.resources.list(DELIVERY_KIND, { labelSelector: `${PHASE_LABEL}=Pending`, limit: 500, ...(token ? { continue: token } : {}) });
      for (const r of page.items) add(subKey(String(r.spec.organizationRef), String(r.spec.subscription)));
      token = page.continue;
    } while (token);
  }

  let fromSeq: number | undefined;
  const loop = createLoop<Key>({
    name: 'webhook-delivery',
    concurrency: 4,
    resyncIntervalMs: deps.resyncIntervalMs ?? 60_000,
    enqueueAll,
    handler: (key, signal) => {
      if (key === 'intake') return intake();
      const [org, name] = key.slice(4).split('/') as [string, string];
      return deliverSubscription(org, name, signal);
    },
    watch(add) {
      const sub = store.events.subscribe(fromSeq ?? position, () => add('intake'), { onError: (err) => log.warn({ err: sanitize(String(err)) }, 'webhook event stream failed') });
      return () => sub.close();
    },
    onError: (key, err, info) => log.warn({ key, attempts: info.attempts, retryInMs: info.retryInMs, err: sanitize(err instanceof Error ? err.message : String(err)) }, 'webhook delivery step failed; retried'),
    onResyncError: (err) => log.warn({ err: sanitize(String(err)) }, 'webhook delivery resync failed'),
  });

  return {
    name: 'webhook-delivery',
    async start(afterSeq) {
      position = afterSeq ?? (await store.cursors.get(cursorName)) ?? (await store.events.latestSeq());
      await store.cursors.advance(cursorName, position);
      fromSeq = position;
      await loop.start();
    },
    stop: () => loop.stop(),
    async replay(original) {
      const org = String(original.spec.organizationRef);
      const seq = Number(original.spec.eventSeq);
      const [e] = await store.events.since(seq - 1, { org, limit: 1 });
      if (!e || e.seq !== seq) throw new NotFoundError(`event ${seq} of delivery ${original.metadata.name} is no longer stored`);
      const sub = deps.config.current()?.get('WebhookSubscription', org, String(original.spec.subscription))?.object;
      if (!sub) throw new NotFoundError(`WebhookSubscription ${String(original.spec.subscription)} no longer exists`);
      const name = normalizeName(`${original.metadata.name.slice(0, 50)}-r${Date.now().toString(36)}`);
      const created = await record(sub, e, name, original.metadata.name);
      if (!created) throw new ConflictError(`a replay of ${original.metadata.name} was just made; try again`);
      // The first attempt now, so the caller sees its outcome; a failure is retried by the subscription's loop.
      await advance(created, sub, new AbortController().signal);
      loop.add(subKey(org, sub.metadata.name));
      return (await store.resources.get(DELIVERY_KIND, created.metadata.namespace, created.metadata.name)) ?? created;
    },
    idle: () => loop.whenIdle(),
  };
}
