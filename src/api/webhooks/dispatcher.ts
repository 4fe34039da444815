import type { Logger } from 'pino';
import { NotFoundError, sanitize } from '../../errors/index.ts';
import { normalizeName, tenantNamespace, type Resource } from '../../kinds/index.ts';
import type { DesiredResource } from '../../loader/types.ts';
import type { Store, StoreEvent, StoredResource, Subscription } from '../../store/types.ts';
import type { ConfigPort, SecretsPort } from '../deps.ts';
import { subscriptionMatches } from './match.ts';
import { createProgress } from './progress.ts';
import { signatureHeader } from './signature.ts';

export interface WebhookDispatcherDeps {
  store: Store;
  secrets: SecretsPort;
  config: ConfigPort;
  fetch: typeof fetch;
  logger: Logger;
  /** Attempts per delivery before it is Failed; 5 by default. */
  maxAttempts?: number;
  /** First retry delay, doubled each attempt; 1 s by default. */
  backoffMs?: number;
  timeoutMs?: number;
  /** Name of the persisted event cursor; one per dispatcher fleet ('webhook-dispatcher' by default). */
  cursor?: string;
}

export interface WebhookDispatcher {
  /**
   * Subscribes to store events after `afterSeq` (default: the persisted cursor, else the newest event)
   * and delivers matching ones; the cursor advances as events are handled.
   */
  start(afterSeq?: number): Promise<void>;
  /** Sends the event of a recorded delivery once more; returns the new attempt record. */
  replay(record: StoredResource): Promise<StoredResource>;
  /** Resolves when every delivery in flight has finished (tests, graceful shutdown). */
  idle(): Promise<void>;
  stop(): void;
}

export const DELIVERY_LABEL = 'kradle.a5c.ai/delivery';

function secretRefOf(spec: Record<string, unknown>): { name: string; key: string } | undefined {
  const ref = spec.secretRef;
  if (typeof ref === 'string') return { name: ref, key: 'secret' };
  if (ref && typeof ref === 'object' && typeof (ref as { name?: unknown }).name === 'string') {
    const r = ref as { name: string; key?: string };
    return { name: r.name, key: r.key ?? 'secret' };
  }
  return undefined;
}

/**
 * Outbound webhooks: each store event matching an org's WebhookSubscription is POSTed, signed
 * `X-Kradle-Signature: sha256=<HMAC-SHA256 of the body>` with the secret named by secretRef
 * (read through the secrets port, never from Git). Every attempt is a WebhookDelivery record.
 * Run it on the leader only: each replica running one would deliver every event once per replica.
 */
export function createWebhookDispatcher(deps: WebhookDispatcherDeps): WebhookDispatcher {
  const { store, logger: log } = deps;
  const maxAttempts = deps.maxAttempts ?? 5;
  const backoffMs = deps.backoffMs ?? 1000;
  const inFlight = new Set<Promise<unknown>>();
  const lanes = new Map<string, Promise<void>>();
  const cursorName = deps.cursor ?? 'webhook-dispatcher';
  const progress = createProgress(store.cursors, cursorName, log);
  let sub: Subscription | undefined;
  let stopped = false;

  function track<T>(p: Promise<T>): Promise<T> {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  async function attempt(subDoc: Resource, e: StoreEvent, name: string, n: number): Promise<StoredResource> {
    const org = e.org!;
    const body = JSON.stringify({ id: e.seq, type: e.type, org, kind: e.kind, namespace: e.namespace, name: e.name, resourceVersion: e.resourceVersion, payload: e.payload, createdAt: e.createdAt });
    const ref = secretRefOf(subDoc.spec);
    const secret = ref ? await deps.secrets.read(org, ref.name, ref.key) : undefined;
    const signature = secret ? signatureHeader(secret, body) : 'unsigned';
    const url = String(subDoc.spec.url);
    const labels = { [DELIVERY_LABEL]: normalizeName(`${subDoc.metadata.name.slice(0, 40)}-${e.seq}`) };
    const spec = { subscription: subDoc.metadata.name, eventType: e.type, signature, eventSeq: e.seq, attempt: n, url };
    let record = await store.resources.create({ apiVersion: subDoc.apiVersion, kind: 'WebhookDelivery', metadata: { name, namespace: tenantNamespace(org), labels }, spec: { organizationRef: org, ...spec } }, { actor: 'webhook-dispatcher' });
    record = await store.resources.updateStatus({ ...record, status: { phase: 'Pending', attempt: n } }, { actor: 'webhook-dispatcher' });
    const started = Date.now();
    let status: Record<string, unknown>;
    if (!secret) status = { phase: 'Failed', attempt: n, error: 'secretRef missing or unreadable: deliveries are always signed' };
    else {
      try {
        const res = await deps.fetch(url, {
          method: 'POST', body, signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
          headers: { 'content-type': 'application/json', 'x-kradle-signature': signature, 'x-kradle-event': e.type, 'x-kradle-delivery': name },
        });
        await res.arrayBuffer().catch(() => undefined);
        status = { phase: res.ok ? 'Delivered' : 'Failed', attempt: n, responseStatus: res.status };
      } catch (err) {
        status = { phase: 'Failed', attempt: n, error: sanitize(err instanceof Error ? err.message : String(err)) };
      }
    }
    status.durationMs = Date.now() - started;
    status.finishedAt = new Date().toISOString();
    return store.resources.updateStatus({ ...record, status }, { actor: 'webhook-dispatcher' });
  }

  /** Attempts already recorded for this subscription and event (a previous run, or another leader's). */
  async function previousAttempts(subDoc: Resource, e: StoreEvent): Promise<StoredResource[]> {
    const label = normalizeName(`${subDoc.metadata.name.slice(0, 40)}-${e.seq}`);
    const page = await store.resources.list('WebhookDelivery', { namespace: tenantNamespace(e.org!), labelSelector: `${DELIVERY_LABEL}=${label}`, limit: 1000 });
    return page.items.filter((r) => r.spec.subscription === subDoc.metadata.name && Number(r.spec.eventSeq) === e.seq);
  }

  /**
   * Runs work after the previous work of the same lane. A subscription's first attempts go through its
   * lane, so a healthy receiver sees events in the order they happened; retries back off outside it, so
   * one failing event never holds up the ones behind it.
   */
  function inLane<T>(lane: string, work: () => Promise<T>): Promise<T> {
    const next = (lanes.get(lane) ?? Promise.resolve()).then(work);
    const tail = next.then(() => undefined, () => undefined);
    lanes.set(lane, tail);
    void tail.then(() => lanes.get(lane) === tail && lanes.delete(lane));
    return next;
  }

  async function deliver(subDoc: Resource, e: StoreEvent): Promise<void> {
    const base = normalizeName(`${subDoc.metadata.name.slice(0, 40)}-${e.seq}`);
    const first = await inLane(`${e.org}/${subDoc.metadata.name}`, async () => {
      const before = await previousAttempts(subDoc, e);
      // Exactly once per subscription and event: a delivered event is never sent again on resume; an
      // interrupted retry series continues where it stopped.
      if (before.some((r) => r.status.phase === 'Delivered') || stopped) return undefined;
      const n = before.reduce((max, r) => Math.max(max, Number(r.spec.attempt) || 0), 0) + 1;
      return n > maxAttempts ? undefined : { n, rec: await attempt(subDoc, e, `${base}-${n}`, n) };
    });
    if (!first) return;
    for (let { n, rec } = first; rec.status.phase !== 'Delivered'; ) {
      log.warn({ subscription: subDoc.metadata.name, seq: e.seq, attempt: n, responseStatus: rec.status.responseStatus }, 'webhook delivery failed');
      if (n >= maxAttempts || stopped) return;
      await new Promise((r) => setTimeout(r, backoffMs * 2 ** (n - 1)));
      if (stopped) return;
      n++;
      rec = await attempt(subDoc, e, `${base}-${n}`, n);
    }
  }

  function onEvent(e: StoreEvent): void {
    if (stopped) return;
    progress.started(e.seq);
    // Deliveries write records, which are events too: never deliver those, or one event would loop forever.
    const subs: readonly DesiredResource[] = !e.org || e.kind === 'WebhookDelivery' ? [] : deps.config.current()?.byOrg(e.org) ?? [];
    const work: Promise<void>[] = [];
    for (const s of subs) {
      if (s.id.kind !== 'WebhookSubscription' || !subscriptionMatches(s.object.spec, e)) continue;
      work.push(deliver(s.object, e).catch((err) => log.error({ err, subscription: s.id.name }, 'webhook delivery crashed')));
    }
    // A stopped dispatcher leaves unfinished events behind the cursor, so the next leader retries them.
    track(Promise.all(work)).then(() => !stopped && progress.finished(e.seq), () => undefined);
  }

  return {
    async start(afterSeq) {
      stopped = false;
      const from = afterSeq ?? (await store.cursors.get(cursorName)) ?? (await store.events.latestSeq());
      await store.cursors.advance(cursorName, from);
      progress.begin(from);
      sub = store.events.subscribe(from, onEvent);
    },
    async replay(record) {
      const org = String(record.spec.organizationRef);
      const seq = Number(record.spec.eventSeq);
      const [e] = await store.events.since(seq - 1, { org, limit: 1 });
      if (!e || e.seq !== seq) throw new NotFoundError(`event ${seq} of delivery ${record.metadata.name} is no longer stored`);
      const subDoc = deps.config.current()?.get('WebhookSubscription', org, String(record.spec.subscription));
      if (!subDoc) throw new NotFoundError(`WebhookSubscription ${String(record.spec.subscription)} no longer exists`);
      const name = normalizeName(`${subDoc.id.name.slice(0, 40)}-${seq}-r${Date.now().toString(36)}`);
      return track(attempt(subDoc.object, e, name, Number(record.spec.attempt ?? 0) + 1));
    },
    async idle() {
      while (inFlight.size) await Promise.allSettled([...inFlight]);
      await progress.settled();
    },
    stop() {
      stopped = true;
      sub?.close();
    },
  };
}
