import type { Middleware } from 'koa';
import { isKradleError, sanitize, type ErrorDetail } from '../errors/index.ts';
import { PLATFORM_ORG, type ApiState } from './context.ts';

export interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetail[] };
}

/** Errors raised by Koa itself or its helpers (ctx.throw, body limits) carry an HTTP status and `expose`. */
interface HttpLikeError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  message?: string;
}

/**
 * The only place errors become responses: KradleError keeps its status, code and details;
 * anything else is a 500 with a generic message, and only 5xx log their stack.
 */
export function errorMiddleware(): Middleware<ApiState> {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const { status, body } = toResponse(err);
      const principal = ctx.state.principal;
      if (principal && principal.org !== PLATFORM_ORG) body.error.details = ownDetails(body.error.details, principal.org);
      const log = ctx.state.log;
      if (status >= 500) log?.error({ err: loggable(err), status }, 'request failed');
      else log?.info({ status, code: body.error.code }, 'request refused');
      ctx.status = status;
      ctx.body = body;
      if (isKradleError(err) && err.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(Math.ceil(err.retryAfterSeconds)));
      // RFC 9110 asks every 401 for a challenge, and RFC 6750 says how: the error code only when a token came.
      if (status === 401) ctx.set('WWW-Authenticate', ctx.get('Authorization') ? 'Bearer realm="kradle", error="invalid_token"' : 'Bearer realm="kradle"');
    }
  };
}

/**
 * A write validates the whole revision, so its 422 may position errors in any org's files: an org
 * token learns only that they exist, never their paths or messages (another org's config).
 */
function ownDetails(details: ErrorDetail[], org: string): ErrorDetail[] {
  const mine = `orgs/${org}/`;
  const kept = details.filter((d) => d.path === undefined || d.path.startsWith(mine));
  const hidden = details.length - kept.length;
  if (!hidden) return kept;
  return [...kept, { code: 'ERRORS_ELSEWHERE', message: `${hidden} error(s) in files outside ${mine}, not shown to a token of org ${org}` }];
}

/** The error as a log line may show it: message and stack with credentials stripped. */
function loggable(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: sanitize(String(err)) };
  return { type: err.name, message: sanitize(err.message), stack: sanitize(err.stack ?? '') };
}

export function toResponse(err: unknown): { status: number; body: ErrorBody } {
  if (isKradleError(err)) {
    return { status: err.status, body: envelope(err.code, sanitize(err.message), err.details) };
  }
  const e = err as HttpLikeError;
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && e.expose) {
    return { status, body: envelope(codeOfStatus(status), sanitize(String(e.message)), []) };
  }
  return { status: 500, body: envelope('INTERNAL', 'internal error; see the server log for the request id', []) };
}

export function envelope(code: string, message: string, details: ErrorDetail[] = []): ErrorBody {
  return { error: { code, message, details } };
}

function codeOfStatus(status: number): string {
  const codes: Record<number, string> = { 400: 'BAD_REQUEST', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE' };
  return codes[status] ?? 'BAD_REQUEST';
}
