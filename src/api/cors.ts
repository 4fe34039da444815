import type { Middleware } from 'koa';
import type { ApiState } from './context.ts';

/** What a listed origin's page may send: the auth, CSRF, conditional-write and stream-resume headers. */
const ALLOWED_HEADERS = 'Authorization, Content-Type, If-Match, If-None-Match, Last-Event-ID, X-CSRF-Token, X-Request-Id';
/** What its scripts may read besides the CORS-safelisted response headers. */
const EXPOSED_HEADERS = 'ETag, Location, Retry-After, Warning, X-Request-Id';

/** `scheme://host[:port]`, lower-cased, as browsers send it in `Origin`; throws on anything else. */
export function normalizeOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`--cors-origin ${JSON.stringify(value)} is not an origin (scheme://host[:port])`);
  }
  if (!/^https?:$/.test(url.protocol) || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
    throw new Error(`--cors-origin ${JSON.stringify(value)} is not an origin: give scheme://host[:port] only, no path, query or user`);
  }
  return url.origin;
}

/**
 * CORS by an explicit allow-list, like a cookie's SameSite but for scripts: a listed origin gets its own
 * origin back with credentials allowed, any other origin gets no CORS header at all (the browser then hides
 * the answer from its script). Preflights are answered here, for every path a route serves, with the
 * methods it serves; `methodsOf` returns none for a path no route serves.
 */
export function corsMiddleware(origins: readonly string[], methodsOf: (path: string) => string[]): Middleware<ApiState> {
  const allowed = new Set(origins.map(normalizeOrigin));
  return async (ctx, next) => {
    const origin = ctx.get('origin');
    const listed = origin !== '' && allowed.has(origin);
    if (allowed.size > 0) ctx.vary('Origin');
    if (listed) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Allow-Credentials', 'true');
      ctx.set('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    }
    if (ctx.method !== 'OPTIONS') return next();
    const methods = methodsOf(ctx.path);
    if (methods.length === 0) return next();
    const allow = [...new Set([...methods, 'OPTIONS'])].join(', ');
    ctx.set('Allow', allow);
    if (listed && ctx.get('access-control-request-method')) {
      ctx.set('Access-Control-Allow-Methods', allow);
      ctx.set('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      ctx.set('Access-Control-Max-Age', '600');
    }
    ctx.status = 204;
  };
}
