import { ConflictError, NotFoundError } from '../errors/index.ts';
import { tenantNamespace } from '../kinds/index.ts';
import type { Store, StoredResource } from '../store/types.ts';

const TRIES = 5;

/**
 * Re-reads and rewrites a record's status until the guarded write lands (optimistic concurrency).
 * `fn` returns undefined to leave the record as it is.
 */
export async function mutateStatus(
  store: Pick<Store, 'resources'>,
  kind: string,
  org: string,
  name: string,
  fn: (current: StoredResource) => Record<string, unknown> | undefined,
  actor = 'kradle-agents',
): Promise<StoredResource> {
  for (let i = 0; ; i++) {
    const current = await store.resources.get(kind, tenantNamespace(org), name);
    if (!current) throw new NotFoundError(`${kind} ${name} not found in org ${org}`);
    const status = fn(current);
    if (!status) return current;
    try {
      return await store.resources.updateStatus({ ...current, status }, { actor });
    } catch (err) {
      if (!(err instanceof ConflictError) || i >= TRIES) throw err;
    }
  }
}

export interface Lifecycle {
  (org: string, type: string, kind: string, name: string, payload: Record<string, unknown>, actor?: string): Promise<void>;
}

/** Lifecycle events of §6.9 on the store's event stream (the API's webhook dispatcher forwards them). */
export function lifecyclePublisher(store: Pick<Store, 'events'>): Lifecycle {
  return async (org, type, kind, name, payload, actor) => {
    await store.events.publish({ org, type, kind, namespace: tenantNamespace(org), name, payload, ...(actor ? { actor } : {}) });
  };
}
