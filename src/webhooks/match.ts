import type { StoreEvent } from '../store/types.ts';

/**
 * A subscription's `events` entries: `*` (everything), an event type (`ADDED`, `SyncSucceeded`),
 * a kind (`PullRequest`), or `Kind.TYPE` (`PullRequest.MODIFIED`); case-insensitive.
 */
export function subscriptionMatches(spec: Record<string, unknown>, e: StoreEvent): boolean {
  const wanted = Array.isArray(spec.events) ? (spec.events as unknown[]).map((v) => String(v).toLowerCase()) : [];
  const type = e.type.toLowerCase();
  const kind = e.kind.toLowerCase();
  return wanted.some((w) => w === '*' || w === type || w === kind || w === `${kind}.${type}`);
}
