import type { ApiContext } from '../context.ts';

export const SESSION_COOKIE = 'kradle_session';

/** One cookie of the request's Cookie header, undefined when absent. */
export function readCookie(ctx: ApiContext, name: string): string | undefined {
  for (const part of (ctx.get('cookie') || '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Whether the browser reached us over https. Behind a TLS-terminating proxy the connection is plain http, so
 * X-Forwarded-Proto is read too: trusting it can only add the Secure flag, never remove it.
 */
function overHttps(ctx: ApiContext): boolean {
  return ctx.protocol === 'https' || ctx.get('x-forwarded-proto').split(',')[0]?.trim() === 'https';
}

/**
 * Written by hand rather than through ctx.cookies: Koa refuses a Secure cookie on a plain connection unless the
 * whole app trusts proxy headers, which this app does not (koa.proxy = false).
 */
export function setSessionCookie(ctx: ApiContext, value: string, maxAgeSeconds: number): void {
  const attrs = [`${SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`];
  if (overHttps(ctx)) attrs.push('Secure');
  ctx.append('Set-Cookie', attrs.join('; '));
}

export function clearSessionCookie(ctx: ApiContext): void {
  setSessionCookie(ctx, '', 0);
}
