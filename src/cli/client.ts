import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BadRequestError, KradleError, sanitize, type ErrorDetail } from '../errors/index.ts';
import { printErrorJson } from './output.ts';

/** Where `kradle serve` listens by default; remote commands talk to it unless told otherwise. */
export const DEFAULT_SERVER = 'http://127.0.0.1:3080';
const TIMEOUT_MS = 60_000;

/** Flags every remote command takes; KRADLE_SERVER / KRADLE_TOKEN stand in for them. */
export const CONNECTION_OPTIONS = {
  server: { type: 'string' },
  token: { type: 'string' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const CONNECTION_USAGE = `connection: --server URL (or KRADLE_SERVER, default ${DEFAULT_SERVER}), --token T (or KRADLE_TOKEN)`;

/** The server answered with the error envelope; 4xx is the caller's problem (exit 1), 5xx the server's (exit 2). */
export class ApiError extends KradleError {
  constructor(status: number, code: string, message: string, details: ErrorDetail[]) {
    super(message, { code, status, reason: 'ApiError', disposition: status >= 500 ? 'retry' : 'stalled', details });
  }
}

/** No answer at all: refused, DNS, timeout. */
export class ServerUnreachableError extends KradleError {
  constructor(server: string, cause: unknown) {
    const why = (cause as { cause?: { code?: string; message?: string } })?.cause;
    const reason = why?.code ?? why?.message ?? (cause instanceof Error ? cause.message : String(cause));
    super(`cannot reach the Kradle server at ${server}: ${reason}`, { code: 'UNREACHABLE', status: 503, reason: 'Unreachable', disposition: 'waiting' });
  }
}

/** A bad command line: printed with the command's usage, exit 2; a `BAD_REQUEST` in the JSON error envelope. */
export class UsageError extends BadRequestError {}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestInit {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
}

export interface ApiClient {
  readonly server: string;
  /** Sends one request; resolves on 2xx/3xx, throws ApiError or ServerUnreachableError otherwise. */
  request<T = unknown>(method: string, path: string, init?: RequestInit): Promise<ApiResponse<T>>;
}

/** `/api/orgs/a b/x` -> `/api/orgs/a%20b/x`: each value is one path segment. */
export function apiPath(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(values[i]!) : ''), '');
}

function urlOf(server: string, path: string, query: RequestInit['query'] = {}): string {
  const url = new URL(server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  return url.toString();
}

function errorOf(status: number, statusText: string, text: string): ApiError {
  try {
    const { error } = JSON.parse(text) as { error?: { code?: string; message?: string; details?: ErrorDetail[] } };
    if (error?.code) return new ApiError(status, error.code, error.message ?? '', error.details ?? []);
  } catch {
    /* not the envelope: a proxy or load balancer answered */
  }
  return new ApiError(status, `HTTP_${status}`, statusText || 'request failed', []);
}

export function createApiClient(opts: { server: string; token?: string; fetch?: typeof fetch }): ApiClient {
  const doFetch = opts.fetch ?? fetch;
  const server = opts.server.replace(/\/+$/, '');
  return {
    server,
    async request<T>(method: string, path: string, init: RequestInit = {}): Promise<ApiResponse<T>> {
      const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      let res: Response;
      let text: string;
      try {
        res = await doFetch(urlOf(server, path, init.query), {
          method,
          headers,
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        text = await res.text();
      } catch (err) {
        throw new ServerUnreachableError(server, err);
      }
      if (res.status >= 400) throw errorOf(res.status, res.statusText, text);
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
    },
  };
}

/** The client of a command line: flags win over KRADLE_SERVER / KRADLE_TOKEN, then the default server. */
export function clientFromFlags(values: { server?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): ApiClient {
  const server = values.server || env.KRADLE_SERVER || DEFAULT_SERVER;
  if (!/^https?:\/\//.test(server)) throw new UsageError(`--server must be an http(s) URL, got ${JSON.stringify(sanitize(server))}`);
  return createApiClient({ server, token: values.token || env.KRADLE_TOKEN || undefined });
}

/** parseArgs that reports a bad flag as a UsageError rather than a stack trace. */
export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options: { ...CONNECTION_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export function formatOf<F extends string>(value: string | undefined, allowed: readonly F[], fallback: F): F {
  const f = (value ?? fallback) as F;
  if (!allowed.includes(f)) throw new UsageError(`--format must be one of ${allowed.join(', ')}`);
  return f;
}

export function describeDetail(d: ErrorDetail): string {
  const where = d.path ? `${d.path}:${d.line ?? 1}:${d.column ?? 1}: ` : d.field ? `${d.field}: ` : '';
  return `${where}${d.code} ${d.message}`;
}

/** Exit codes: 1 when the server refused the request (4xx), 2 for usage, connection and server errors. */
export function exitCodeOf(err: unknown): number {
  return err instanceof ApiError && err.status < 500 ? 1 : 2;
}

/** Prints an error of a remote command the way a reader can act on it; returns the exit code. */
export function reportError(name: string, err: unknown, usage?: string): number {
  if (err instanceof UsageError) {
    console.error(`kradle ${name}: ${err.message}${usage ? `\n${usage}` : ''}`);
    return 2;
  }
  if (err instanceof ApiError) {
    console.error([`kradle ${name}: ${err.status} ${err.code}: ${sanitize(err.message)}`, ...err.details.map((d) => `  ${describeDetail(d)}`)].join('\n'));
  } else {
    console.error(`kradle ${name}: ${sanitize(err instanceof Error ? err.message : String(err))}`);
  }
  return exitCodeOf(err);
}

/**
 * Ends command `name` run with `argv` on a failure: the message on stderr, and with `--format json` the error
 * envelope on stdout; returns the exit code.
 */
export function failCommand(name: string, argv: string[], err: unknown, usage?: string): number {
  printErrorJson(argv, err);
  return reportError(name, err, usage);
}

/** Runs a command body, turning every failure into a printed message and its exit code. */
export async function runRemote(name: string, usage: string, argv: string[], body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    return failCommand(name, argv, err, usage);
  }
}
