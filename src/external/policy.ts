import type { Resource } from '../kinds/index.ts';
import type { DesiredState } from '../loader/types.ts';
import type { StoredResource } from '../store/types.ts';
import { digest } from './records.ts';

/** What an inbound external change does to the local resource. */
export type Outcome = 'applied' | 'in-sync' | 'kept-local' | 'conflict' | 'ignored';

/** The conflict mode of the provider's ExternalBackendSyncPolicy (§11.1), `manual` when none says. */
export function policyOf(desired: DesiredState | undefined, org: string, providerRef: unknown): string {
  const p = (desired?.byOrg(org) ?? []).find((d) => d.id.kind === 'ExternalBackendSyncPolicy' && d.object.spec.providerRef === providerRef);
  return String(p?.object.spec.conflictResolution ?? 'manual');
}

/**
 * An inbound change applies when nothing is local yet or the local side did not change since the last sync;
 * otherwise the policy decides: prefer-external applies, prefer-kradle and ignore keep local, manual is a conflict.
 */
export function decideIncoming(local: Resource | undefined, incoming: Resource, state: StoredResource | undefined, policy: string): Outcome {
  if (!local) return 'applied';
  if (digest(local.spec) === digest(incoming.spec)) return 'in-sync';
  if (state && state.status.localDigest === digest(local.spec)) return 'applied';
  if (policy === 'prefer-external') return 'applied';
  if (policy === 'prefer-kradle' || policy === 'ignore') return 'kept-local';
  return 'conflict';
}

/** The value a resolution strategy keeps (§11.1): the local side, the external side, or the one given. */
export function resolvedSpec(strategy: string, conflict: StoredResource, resolvedValue: unknown): Record<string, unknown> {
  if (strategy === 'prefer-external') return conflict.spec.external as Record<string, unknown>;
  if (strategy === 'manual') return resolvedValue as Record<string, unknown>;
  return conflict.spec.local as Record<string, unknown>;
}
