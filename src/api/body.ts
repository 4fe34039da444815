import { BadRequestError, KradleError, ValidationError } from '../errors/index.ts';
import type { ApiContext } from './context.ts';

export const BODY_LIMIT_BYTES = 1024 * 1024;

class PayloadTooLargeError extends KradleError {
  constructor(limit: number) {
    super(`request body exceeds ${limit} bytes`, { code: 'PAYLOAD_TOO_LARGE', status: 413, reason: 'PayloadTooLarge', disposition: 'stalled' });
  }
}

/** Reads the raw body once, refusing more than `limit` bytes without buffering past it. */
export async function readRaw(ctx: ApiContext, limit = BODY_LIMIT_BYTES): Promise<Buffer> {
  if (ctx.state.rawBody) return ctx.state.rawBody;
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

/** The JSON body as an object; 400 when it is not JSON, 415 when it is sent as something else. */
export async function readJson<T = Record<string, unknown>>(ctx: ApiContext): Promise<T> {
  const raw = await readRaw(ctx);
  if (raw.length === 0) return {} as T;
  const type = ctx.get('content-type');
  if (type && !/\bjson\b/i.test(type)) {
    throw new KradleError(`expected application/json, got ${type}`, { code: 'UNSUPPORTED_MEDIA_TYPE', status: 415, reason: 'UnsupportedMediaType', disposition: 'stalled' });
  }
  try {
    const value = JSON.parse(raw.toString('utf8')) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as T;
  } catch {
    throw new BadRequestError('the request body must be a JSON object');
  }
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
