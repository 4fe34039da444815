import { createHash } from 'node:crypto';
import { Stream } from 'node:stream';
import type { ApiContext } from './context.ts';

/**
 * If-None-Match as RFC 9110 13.1.2 compares it: weakly (a W/ copy matches), any of a list, or `*`. Not Koa's
 * ctx.fresh: that answers stale whenever the request says Cache-Control: no-cache, which fetch() adds to every
 * request carrying If-None-Match, so no browser or Node client would ever get its 304.
 */
export function notModified(header: string, etag: string): boolean {
  if (!header) return false;
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  return header.trim() === '*' || header.split(',').some((t) => opaque(t) === opaque(etag));
}

/**
 * Gives a JSON answer to a GET a weak ETag of its bytes, and answers 304 when the client holds them already:
 * a dashboard polling a summary or a list then moves a header, not the page. A route that knows a better
 * validator (a resource's version) sets its own ETag first and is left alone. `private, no-cache`: answers
 * depend on the caller's token, so no shared cache may keep them, and a browser asks again each time.
 */
export function conditionalJson(ctx: ApiContext): void {
  if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || ctx.status !== 200 || ctx.respond === false || ctx.response.get('ETag')) return;
  const body: unknown = ctx.body;
  if (body === null || typeof body !== 'object' || Buffer.isBuffer(body) || body instanceof Stream) return;
  // Koa would serialize the body the same way once the handlers return; doing it here hashes what is sent.
  const text = JSON.stringify(body);
  const etag = `W/"${createHash('sha1').update(text).digest('base64url')}"`;
  ctx.set('ETag', etag);
  ctx.set('Cache-Control', 'private, no-cache');
  if (notModified(ctx.get('If-None-Match'), etag)) {
    ctx.status = 304;
    ctx.body = null;
    return;
  }
  ctx.body = text;
}
