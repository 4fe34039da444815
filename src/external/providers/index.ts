import { createRestIssuesAdapter } from './rest-issues.ts';
import type { ProviderAdapter } from './types.ts';

export type { ProviderAdapter, ProviderConnection, ProviderWrite, SendResult } from './types.ts';

const ADAPTERS: Record<string, ProviderAdapter> = {
  github: createRestIssuesAdapter('github'),
  gitea: createRestIssuesAdapter('gitea'),
};

/** The adapter of an ExternalBackendProvider's `providerType`, or undefined when Kradle has none. */
export function adapterFor(providerType: unknown): ProviderAdapter | undefined {
  return typeof providerType === 'string' ? ADAPTERS[providerType.toLowerCase()] : undefined;
}
