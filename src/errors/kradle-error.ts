/** A positioned problem in a document, or a field-level problem in a request body. */
export interface ErrorDetail {
  code: string;
  message: string;
  path?: string;
  line?: number;
  column?: number;
  field?: string;
}

/** What the reconcile loop does after a failure: fix needed, wait and requeue, or retry with back-off. */
export type ErrorDisposition = 'stalled' | 'waiting' | 'retry';

export interface KradleErrorOptions {
  details?: ErrorDetail[];
  cause?: unknown;
  /** When a client may try again (the Retry-After of a 429 or 503); waiting errors default to a few seconds. */
  retryAfterSeconds?: number;
}

const DEFAULT_RETRY_AFTER_SECONDS = 5;

export class KradleError extends Error {
  readonly code: string;
  readonly status: number;
  readonly reason: string;
  readonly disposition: ErrorDisposition;
  readonly details: ErrorDetail[];
  readonly retryAfterSeconds: number | undefined;

  constructor(
    message: string,
    init: { code: string; status: number; reason: string; disposition: ErrorDisposition } & KradleErrorOptions,
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.code = init.code;
    this.status = init.status;
    this.reason = init.reason;
    this.disposition = init.disposition;
    this.details = init.details ?? [];
    this.retryAfterSeconds = init.retryAfterSeconds ?? (init.disposition === 'waiting' ? DEFAULT_RETRY_AFTER_SECONDS : undefined);
  }
}

export function isKradleError(err: unknown): err is KradleError {
  return err instanceof KradleError;
}

const whereOf = (d: ErrorDetail) => (d.path ? `${d.path}:${d.line ?? 1}:${d.column ?? 1}: ` : '');

/** Formats a positioned detail as `path:line:column: CODE message`. */
export function formatDetail(d: ErrorDetail): string {
  return `${whereOf(d)}${d.code} ${d.message}`;
}

/** Formats a positioned warning as `path:line:column: warning CODE message`: a reader tells it from an error at a glance. */
export function formatWarning(d: ErrorDetail): string {
  return `${whereOf(d)}warning ${d.code} ${d.message}`;
}
