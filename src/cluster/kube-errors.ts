// Turns @kubernetes/client-node errors into Kradle errors at the cluster boundary, without the response bodies
// and headers client-node puts into its messages (they may echo values): only fields of the Status are read.
import {
  BadRequestError, ConflictError, ForbiddenError, KradleError, NotFoundError, sanitize, UnauthorizedError,
  UpstreamError, ValidationError, type ErrorDetail,
} from '../errors/index.ts';

export const codeOf = (err: unknown): number | undefined => {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  return typeof e?.statusCode === 'number' ? e.statusCode : undefined;
};
/** client-node's discovery throws this (no HTTP code) for a kind the server does not serve. */
export const notServed = (err: unknown) => err instanceof Error && /Unrecognized API version and kind/.test(err.message);
export const isAbsent = (err: unknown) => codeOf(err) === 404 || notServed(err);

interface StatusBody {
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string; field?: string }[] };
}

function statusBody(body: unknown): StatusBody | undefined {
  try {
    const parsed: unknown = typeof body === 'string' ? JSON.parse(body) : body;
    return parsed && typeof parsed === 'object' ? (parsed as StatusBody) : undefined;
  } catch {
    return undefined;
  }
}

/** How much of a Status message is kept: a webhook's refusal or etcd's timeout fits, a dumped object does not. */
const MESSAGE_MAX = 300;

/**
 * The Status message, which says why (a webhook refusing, etcd timing out, a quota exceeded), or nothing: a
 * 422's message echoes the invalid values (its causes' field paths say where instead), and nothing the server
 * says about a Secret is kept, as it might quote the Secret's data.
 */
function statusMessage(status: StatusBody | undefined, code: number, secret: boolean): string {
  if (secret || code === 422 || typeof status?.message !== 'string') return '';
  const line = status.message.split('\n')[0]!.trim();
  return line.length > MESSAGE_MAX ? `${line.slice(0, MESSAGE_MAX)}...` : line;
}

/**
 * Maps a client-node error to a Kradle error; only the Status reason, message and cause fields are kept.
 * `secret`: the request was about a Secret, whose errors keep no message.
 */
export function toKradleError(err: unknown, what: string, about: { secret?: boolean } = {}): KradleError {
  if (err instanceof KradleError) return err;
  const code = codeOf(err);
  if (code === undefined) {
    const text = err instanceof Error ? err.message : String(err);
    return new UpstreamError(sanitize(`${what}: ${text.split('\n')[0]}`).slice(0, 400));
  }
  const status = statusBody((err as { body?: unknown }).body);
  const reason = typeof status?.reason === 'string' && /^\w+$/.test(status.reason) ? status.reason : `HTTP ${code}`;
  // Cause messages may echo values (a Secret's data in an Invalid value); only conflicts keep theirs.
  const details: ErrorDetail[] = (status?.details?.causes ?? []).map((c) => ({
    code: String(c.reason ?? reason),
    message: c.reason === 'FieldManagerConflict' ? sanitize(String(c.message ?? '')) : String(c.reason ?? reason),
    ...(c.field ? { field: String(c.field) } : {}),
  }));
  // The field paths (never their values) are what a reader needs to fix a 422: they go into the message,
  // which is what inventory conditions and custom resource status carry.
  const causes = details
    .filter((d) => d.field || d.code === 'FieldManagerConflict')
    .slice(0, 5)
    .map((d) => (d.code === 'FieldManagerConflict' ? `${d.field} (${d.message})` : `${d.field} (${d.code})`));
  const more = details.length > 5 ? ` and ${details.length - 5} more` : '';
  const said = statusMessage(status, code, about.secret ?? false);
  const message = sanitize(`${what}: ${reason} (HTTP ${code})${causes.length ? `: ${causes.join(', ')}${more}` : ''}${said ? `: ${said}` : ''}`);
  const opts = { details };
  if (code === 404) return new NotFoundError(message, opts);
  if (code === 409) return new ConflictError(message, opts);
  if (code === 400) return new BadRequestError(message, opts);
  if (code === 422) return new ValidationError(message, opts);
  if (code === 401) return new UnauthorizedError(message, opts);
  if (code === 403) return new ForbiddenError(message, opts);
  return new UpstreamError(message, opts);
}
