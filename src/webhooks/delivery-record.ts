import { createHash } from 'node:crypto';
import { API_VERSION, normalizeName, tenantNamespace, type Resource } from '../kinds/index.ts';
import type { StoreEvent } from '../store/types.ts';

export const DELIVERY_KIND = 'WebhookDelivery';
/** The subscription a delivery belongs to, so one subscription's open deliveries are one label query. */
export const SUBSCRIPTION_LABEL = 'kradle.a5c.ai/subscription';
/** Pending until Delivered or Failed; kept in step with status.phase so open deliveries are found by label. */
export const PHASE_LABEL = 'kradle.a5c.ai/delivery-phase';

export type DeliveryPhase = 'Pending' | 'Delivered' | 'Failed';

/**
 * The one delivery id of (subscription, event): the record's name and the `X-Kradle-Delivery` header of every
 * attempt. A subscription name too long to fit keeps a digest of itself, so two long names never share ids.
 */
export function deliveryName(subscription: string, seq: number): string {
  const plain = `${subscription}-${seq}`;
  if (plain.length <= 63) return normalizeName(plain);
  const digest = createHash('sha256').update(subscription).digest('hex').slice(0, 8);
  return normalizeName(`${subscription.slice(0, 63 - digest.length - String(seq).length - 2)}-${digest}-${seq}`);
}

/** The body every attempt of a delivery sends: the event as the store holds it. */
export function deliveryBody(e: StoreEvent): string {
  return JSON.stringify({ id: e.seq, type: e.type, org: e.org, kind: e.kind, namespace: e.namespace, name: e.name, resourceVersion: e.resourceVersion, payload: e.payload, createdAt: e.createdAt });
}

/** A new delivery record: Pending, no attempt made yet. */
export function newDelivery(name: string, subscription: string, e: StoreEvent, url: string, signature: string): Resource {
  const org = e.org!;
  return {
    apiVersion: API_VERSION,
    kind: DELIVERY_KIND,
    metadata: { name, namespace: tenantNamespace(org), labels: { [SUBSCRIPTION_LABEL]: subscription, [PHASE_LABEL]: 'Pending' } },
    // Each attempt signs again and records its signature in status: a rotated secret signs later attempts differently.
    spec: { organizationRef: org, subscription, eventType: e.type, eventSeq: e.seq, url, signature },
  };
}
