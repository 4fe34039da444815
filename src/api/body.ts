import { BadRequestError, KradleError, ValidationError } from '../errors/index.ts';
import type { ApiContext } from './context.ts';

export const BODY_LIMIT_BYTES = 1024 * 1024;

class PayloadTooLargeError extends KradleError {
  constructor(limit: number) {
    super(`request body exceeds ${limit} bytes`, { code: 'PAYLOAD_TOO_LARGE', status: 413, reason: 'PayloadTooLarge', disposition: 'stalled' });
  }
}

function unsupportedMediaType(message: string): KradleError {
  return new KradleError(message, { code: 'UNSUPPORTED_MEDIA_TYPE', status: 415, reason: 'UnsupportedMediaType', disposition: 'stalled' });
}

/** `application/json` or a `+json` structured syntax suffix (RFC 6839), parameters aside. */
const JSON_MEDIA_TYPE = /^(?:application\/json|[\w.-]+\/[\w.+-]+\+json)\s*(?:;|$)/i;

/**
 * Reads the raw body once, refusing more than `limit` bytes without buffering past it. The server decodes no
 * Content-Encoding: a gzip (or any other) encoded body is a 415, not bytes misread as the body itself.
 */
export async function readRaw(ctx: ApiContext, limit = BODY_LIMIT_BYTES): Promise<Buffer> {
  if (ctx.state.rawBody) return ctx.state.rawBody;
  const encoding = ctx.get('content-encoding').trim();
  if (encoding && encoding.toLowerCase() !== 'identity') throw unsupportedMediaType(`Content-Encoding ${encoding} is not supported; send the body unencoded`);
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) throw new PayloadTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new PayloadTooLargeError(limit);
    chunks.push(chunk);
  }
  ctx.state.rawBody = Buffer.concat(chunks);
  return ctx.state.rawBody;
}

/**
 * NUL and unpaired UTF-16 surrogates are valid in JSON but not in Postgres text or jsonb, nor in Git's
 * YAML: refused here, at the edge, so they never reach a query that would fail with a 500.
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isStorableText(s: string): boolean {
  return !UNSTORABLE.test(s);
}

/**
 * JSON.parse takes any depth, but what comes after (schema validation, JSON.stringify into the store, the
 * YAML writer) recurses and overflows the stack a few thousand levels down: a 500. No resource nests near this.
 */
export const MAX_BODY_DEPTH = 100;

/** Why a parsed body cannot be taken, or undefined. Iterative, so depth itself cannot overflow the check. */
function unfitBody(root: unknown): string | undefined {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (!isStorableText(v)) return 'the request body holds a NUL character or an unpaired UTF-16 surrogate (\\u0000, \\ud800-\\udfff), which cannot be stored';
    } else if (v !== null && typeof v === 'object') {
      if (depth > MAX_BODY_DEPTH) return `the request body nests deeper than ${MAX_BODY_DEPTH} levels`;
      for (const [k, child] of Object.entries(v)) {
        if (!isStorableText(k)) return 'the request body holds a key with a NUL character or an unpaired UTF-16 surrogate, which cannot be stored';
        stack.push([child, depth + 1]);
      }
    }
  }
  return undefined;
}

/**
 * The JSON body as an object; 400 when it is not JSON, 415 when it is sent as something else or with no
 * Content-Type (curl -d sends a form; only application/json or a +json type says the body is JSON).
 */
export async function readJson<T = Record<string, unknown>>(ctx: ApiContext): Promise<T> {
  const raw = await readRaw(ctx);
  if (raw.length === 0) return {} as T;
  const type = ctx.get('content-type');
  if (!JSON_MEDIA_TYPE.test(type.trim())) throw unsupportedMediaType(`expected application/json, got ${type || 'no Content-Type'}`);
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new BadRequestError('the request body must be a JSON object');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BadRequestError('the request body must be a JSON object');
  const unfit = unfitBody(value);
  if (unfit) throw new BadRequestError(unfit);
  return value as T;
}

/** A required string field of a body, 422 with the field named when missing. */
export function requireString(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (typeof v !== 'string' || v.trim() === '') {
    const message = `${field} is required (non-empty string)`;
    throw new ValidationError(message, { details: [{ code: 'REQUIRED', message, field }] });
  }
  return v;
}
