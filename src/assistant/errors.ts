import { KradleError, UpstreamError } from '../errors/index.ts';

/** The provider said 429: the caller is told when to come back (Retry-After), never what the provider wrote. */
export class ProviderRateLimitedError extends KradleError {
  constructor(provider: string, retryAfterSeconds: number) {
    super(`the model provider ${provider} is rate limiting; retry after ${retryAfterSeconds} s`, { code: 'RATE_LIMITED', status: 429, reason: 'RateLimited', disposition: 'waiting', retryAfterSeconds });
  }
}

export class ProviderTimeoutError extends KradleError {
  constructor(provider: string, ms: number) {
    super(`the model provider ${provider} did not answer within ${ms} ms`, { code: 'PROVIDER_TIMEOUT', status: 504, reason: 'GatewayTimeout', disposition: 'retry' });
  }
}

/** Any other failure of the provider: its status only, as its body may echo the request or internals. */
export function providerFailed(provider: string, why: string): UpstreamError {
  return new UpstreamError(`the model provider ${provider} ${why}`, { details: [{ code: 'PROVIDER_FAILED', message: why }] });
}

/** Retry-After in seconds, from seconds or an HTTP date; 1 s when absent or unreadable. */
export function retryAfterOf(header: string | null, now = Date.now()): number {
  if (!header) return 1;
  const n = Number(header);
  if (Number.isFinite(n) && n >= 0) return Math.ceil(n);
  const at = Date.parse(header);
  return Number.isNaN(at) ? 1 : Math.max(1, Math.ceil((at - now) / 1000));
}
