import { KradleError, type KradleErrorOptions } from './kradle-error.ts';

export class ValidationError extends KradleError {
  constructor(message: string, opts: KradleErrorOptions = {}) {
    super(message, { code: 'VALIDATION_FAILED', status: 422, reason: 'ValidationFailed', disposition: 'stalled', ...opts });
  }
}

export class BadRequestError extends KradleError {
  constructor(message: string, opts: KradleErrorOptions = {}) {
    super(message, { code: 'BAD_REQUEST', status: 400, reason: 'BadRequest', disposition: 'stalled', ...opts });
  }
}

export class NotFoundError extends KradleError {
  constructor(message: string, opts: KradleErrorOptions = {}) {
    super(message, { code: 'NOT_FOUND', status: 404, reason: 'NotFound', disposition: 'stalled', ...opts });
  }
}

export class ConflictError extends KradleError {
  constructor(message: string, opts: KradleErrorOptions = {}) {
    super(message, { code: 'CONFLICT', status: 409, reason: 'Conflict', disposition: 'retry', ...opts });
  }
}

export class UnauthorizedError extends KradleError {
  constructor(message = 'a valid bearer token is required', opts: KradleErrorOptions = {}) {
    super(message, { code: 'UNAUTHORIZED', status: 401, reason: 'Unauthorized', disposition: 'stalled', ...opts });
  }
}

export class ForbiddenError extends KradleError {
  constructor(message: string, opts: KradleErrorOptions & { code?: string } = {}) {
    super(message, { code: opts.code ?? 'FORBIDDEN', status: 403, reason: 'Forbidden', disposition: 'stalled', ...opts });
  }
}

export class UpstreamError extends KradleError {
  constructor(message: string, opts: KradleErrorOptions = {}) {
    super(message, { code: 'UPSTREAM_FAILED', status: 502, reason: 'UpstreamFailed', disposition: 'retry', ...opts });
  }
}

export class WaitingError extends KradleError {
  constructor(message: string, opts: KradleErrorOptions = {}) {
    super(message, { code: 'WAITING', status: 503, reason: 'Waiting', disposition: 'waiting', ...opts });
  }
}

/** The database did not answer within its deadline, or refused the connection: retry later, never a 500. */
export class StoreUnavailableError extends KradleError {
  constructor(message = 'the database is unavailable; retry shortly', opts: KradleErrorOptions = {}) {
    super(message, { code: 'STORE_UNAVAILABLE', status: 503, reason: 'StoreUnavailable', disposition: 'waiting', ...opts });
  }
}
