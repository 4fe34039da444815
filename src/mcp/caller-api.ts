import { createApiClient, type ApiClient } from '../cli/client.ts';
import type { ApiContext } from '../api/context.ts';

/** The caller's credentials (bearer token, or session cookie with its CSRF proof), passed on to each API call. */
const FORWARDED = /^(authorization|cookie|origin|x-(csrf|xsrf|kradle)[-\w]*)$/i;

/**
 * The API as this request's caller sees it: calls go back to this very server over loopback, through the
 * same auth middleware, routes and envelope, with the caller's own credentials. So a tool can never do more
 * than the caller could do with the HTTP API.
 */
export function callerApi(ctx: ApiContext): ApiClient {
  const { localAddress, localPort } = ctx.req.socket;
  const host = !localAddress || localAddress === '::' || localAddress === '0.0.0.0' ? '127.0.0.1' : localAddress.includes(':') ? `[${localAddress}]` : localAddress;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.headers)) if (FORWARDED.test(k) && typeof v === 'string') headers[k] = v;
  headers['x-request-id'] = ctx.state.requestId;
  const forward: typeof fetch = (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } });
  return createApiClient({ server: `http://${host}:${localPort}`, fetch: forward });
}

