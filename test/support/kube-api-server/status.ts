// Kubernetes Status objects, the error body every API server failure carries.
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function failure(code: number, message: string, details?: StatusDetails, reason?: string): Status {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: reason ?? REASONS[code] ?? 'Unknown',
    code,
  };
  if (details) status.details = details;
  return status;
}

export function success(details: StatusDetails): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}

/** Thrown inside the server; the router turns it into a Status response. */
export class ApiError extends Error {
  constructor(readonly status: Status, readonly headers: Record<string, string> = {}) {
    super(status.message);
  }
}

export function notFound(resource: string, name: string, group = ''): ApiError {
  const qualified = group ? `${resource}.${group}` : resource;
  return new ApiError(failure(404, `${qualified} "${name}" not found`, { name, group, kind: resource }));
}

export function alreadyExists(resource: string, name: string, group = ''): ApiError {
  const qualified = group ? `${resource}.${group}` : resource;
  return new ApiError(
    failure(409, `${qualified} "${name}" already exists`, { name, group, kind: resource }, 'AlreadyExists'),
  );
}

/** 409 Conflict, reason Conflict, as a real API server words a write it cannot fulfil on a changed object. */
export function conflict(resource: string, name: string, group: string, why: string): ApiError {
  const qualified = group ? `${resource}.${group}` : resource;
  return new ApiError(failure(409, `Operation cannot be fulfilled on ${qualified} "${name}": ${why}`, { name, group, kind: resource }));
}

export function badRequest(message: string): ApiError {
  return new ApiError(failure(400, message));
}
