import { ConflictError, isKradleError, sanitize } from '../errors/index.ts';
import { tenantNamespace, API_VERSION } from '../kinds/index.ts';
import type { StoredResource } from '../store/types.ts';
import { inboundChange } from './providers/inbound.ts';
import { recordName } from './records.ts';
import { createExternalSync, type ExternalSyncDeps, type SyncInput, type SyncResult } from './sync.ts';

export interface InboundDelivery {
  deliveryId: string;
  event: string;
  payload: unknown;
}

export interface IntakeResult {
  delivery: string;
  /** The delivery id was seen before: nothing was done again. */
  duplicate?: boolean;
  phase?: 'Processed' | 'Ignored' | 'Failed';
  sync?: SyncResult;
}

export interface WebhookIntake {
  /**
   * Records a verified delivery as an ExternalWebhookDelivery (its name derives from binding and delivery id,
   * so a repeated delivery collides on the store's unique key and is ignored), then feeds it to the same
   * sync path as POST .../external/sync. `parse` checks the change as that route checks its body.
   */
  receive(org: string, binding: string, d: InboundDelivery, parse: (body: Record<string, unknown>) => SyncInput): Promise<IntakeResult>;
}

export function createWebhookIntake(deps: ExternalSyncDeps): WebhookIntake {
  const sync = createExternalSync(deps);
  const { store } = deps;

  async function finish(record: StoredResource, status: Record<string, unknown>, actor: string): Promise<void> {
    await store.resources.updateStatus({ ...record, status: { ...record.status, ...status, processedAt: (deps.clock?.() ?? new Date()).toISOString() } }, { actor });
  }

  return {
    async receive(org, binding, d, parse) {
      const providerRef = deps.desired()?.get('ExternalBackendBinding', org, binding)?.object.spec.providerRef;
      const name = recordName('wh', binding, d.deliveryId);
      const actor = `webhook:${binding}`;
      let record: StoredResource;
      try {
        record = await store.resources.create({
          apiVersion: API_VERSION, kind: 'ExternalWebhookDelivery', metadata: { name, namespace: tenantNamespace(org) },
          spec: { organizationRef: org, providerRef: providerRef ?? binding, bindingRef: binding, eventType: d.event, deliveryId: d.deliveryId, payload: d.payload ?? {} },
        }, { actor });
      } catch (err) {
        if (err instanceof ConflictError) return { delivery: name, duplicate: true };
        throw err;
      }
      const change = inboundChange(d.event, d.payload);
      if (!change) {
        await finish(record, { phase: 'Ignored', reason: `event ${d.event} is not synced` }, actor);
        return { delivery: name, phase: 'Ignored' };
      }
      try {
        const result = await sync.sync(org, parse({ ...change, bindingName: binding }), actor);
        await finish(record, { phase: 'Processed', outcome: result.outcome }, actor);
        return { delivery: name, phase: 'Processed', sync: result };
      } catch (err) {
        const message = isKradleError(err) ? err.message : err instanceof Error ? err.message : String(err);
        await finish(record, { phase: 'Failed', error: sanitize(message) }, actor);
        throw err;
      }
    },
  };
}
