import { WaitingError } from '../errors/index.ts';
import type { DesiredState } from '../loader/types.ts';
import type { Store, StoredResource } from '../store/types.ts';
import { secretAuth, type SecretReader } from '../writeback/index.ts';
import { adapterFor, type ProviderWrite, type SendResult } from './providers/index.ts';

/** §11.3 phases the sender moves an intent through. */
export const SENDABLE_PHASES = ['ReadyToSend', 'Sending', 'Retrying'] as const;

export interface SendIntentDeps {
  store: Store;
  desired: () => DesiredState | undefined;
  secrets?: SecretReader;
  fetch: typeof fetch;
  now: () => Date;
}

export interface Attempt {
  attempt: number;
  startedAt: string;
  outcome: 'succeeded' | 'failed' | 'interrupted';
  status?: number;
  error?: string;
}

/** The retry policy of the provider's ExternalBackendSyncPolicy: `retryPolicy: {maxAttempts, backoffMs}`. */
export interface RetryPolicy {
  maxAttempts: number;
  backoffMs: number;
}

const DEFAULT_POLICY: RetryPolicy = { maxAttempts: 3, backoffMs: 10_000 };
const MAX_BACKOFF_MS = 5 * 60_000;

const org = (intent: StoredResource) => String(intent.spec.organizationRef);
const refOf = (v: unknown) => (typeof v === 'string' ? v : String((v as { name?: unknown } | undefined)?.name ?? ''));

export function retryPolicyOf(desired: DesiredState | undefined, intent: StoredResource): RetryPolicy {
  const p = (desired?.byOrg(org(intent)) ?? []).find((d) => d.id.kind === 'ExternalBackendSyncPolicy' && refOf(d.object.spec.providerRef) === refOf(intent.spec.providerRef));
  const r = (p?.object.spec.retryPolicy ?? {}) as { maxAttempts?: unknown; backoffMs?: unknown };
  const int = (v: unknown, min: number) => (Number.isSafeInteger(v) && (v as number) >= min ? (v as number) : undefined);
  return { maxAttempts: int(r.maxAttempts, 1) ?? DEFAULT_POLICY.maxAttempts, backoffMs: int(r.backoffMs, 1) ?? DEFAULT_POLICY.backoffMs };
}

/** Delay before attempt `next` (2, 3, ...): backoffMs doubling, at most 5 minutes. */
export const retryDelayMs = (policy: RetryPolicy, next: number) => Math.min(MAX_BACKOFF_MS, policy.backoffMs * 2 ** Math.max(0, next - 2));

/**
 * The provider, repository and credentials an intent is sent with: its ExternalBackendProvider (type and
 * endpoint) and the binding's `credentialRef` Secret. Missing configuration waits (the config may arrive).
 */
export async function connectionOf(deps: SendIntentDeps, intent: StoredResource) {
  const desired = deps.desired();
  const o = org(intent);
  const provider = desired?.get('ExternalBackendProvider', o, refOf(intent.spec.providerRef));
  if (!provider) throw new WaitingError(`ExternalBackendProvider ${refOf(intent.spec.providerRef)} is not declared in org ${o}`);
  const adapter = adapterFor(provider.object.spec.providerType);
  if (!adapter) throw new WaitingError(`provider type ${String(provider.object.spec.providerType)} has no write adapter (github, gitea)`);
  const binding = (desired?.byOrg(o) ?? []).find((d) => d.id.kind === 'ExternalBackendBinding'
    && (intent.spec.bindingRef ? d.id.name === refOf(intent.spec.bindingRef) : refOf(d.object.spec.providerRef) === provider.id.name));
  const owner = { label: `ExternalBackendBinding ${o}/${binding?.id.name ?? '?'}`, org: o };
  const auth = binding ? await secretAuth(owner, binding.object.spec.credentialRef, deps.secrets) : undefined;
  const token = auth && 'token' in auth ? auth.token : auth ? auth.password : undefined;
  const repository = String(intent.spec.repository ?? binding?.object.spec.repository ?? '');
  return { adapter, endpoint: String(provider.object.spec.endpoint), token, repository };
}

export function writeOf(intent: StoredResource, repository: string): ProviderWrite {
  const ref = intent.spec.resourceRef as { kind?: string } | string;
  const kind = typeof ref === 'string' ? ref.split('/')[0]! : String(ref?.kind ?? '');
  const op = String(intent.spec.operation);
  const operation = op === 'create' || op === 'delete' ? op : 'update';
  const payload = (intent.spec.payload ?? {}) as Record<string, unknown>;
  const externalId = intent.spec.externalId ?? intent.status.externalId;
  return { operation, kind, payload, repository, externalId: externalId === undefined ? undefined : String(externalId) };
}

/** What the status says after an attempt: Succeeded, Retrying with a due time, or Failed. */
export function afterAttempt(result: SendResult, attempts: Attempt[], policy: RetryPolicy, now: Date): Record<string, unknown> {
  const at = now.toISOString();
  if (result.ok) return { phase: 'Succeeded', succeededAt: at, externalId: result.externalId, attempts, lastError: null };
  if (result.retryable && attempts.length < policy.maxAttempts) {
    const delay = retryDelayMs(policy, attempts.length + 1);
    return { phase: 'Retrying', attempts, lastError: result.error, nextAttemptAt: new Date(now.getTime() + delay).toISOString() };
  }
  return { phase: 'Failed', failedAt: at, attempts, lastError: result.error };
}
