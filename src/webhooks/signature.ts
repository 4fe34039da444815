import { createHmac, timingSafeEqual } from 'node:crypto';

export function hmacHex(secret: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** `sha256=<hex>` as GitHub sends it and as Kradle signs outbound deliveries. */
export function signatureHeader(secret: string, body: Buffer | string): string {
  return `sha256=${hmacHex(secret, body)}`;
}

/** Compares a received hex HMAC (with or without `sha256=`) to the expected one in constant time. */
export function verifyHmac(secret: string, body: Buffer, received: string | undefined): boolean {
  if (!received) return false;
  const hex = received.startsWith('sha256=') ? received.slice(7) : received;
  if (!/^[0-9a-f]{64}$/i.test(hex)) return false;
  const expected = Buffer.from(hmacHex(secret, body), 'hex');
  const given = Buffer.from(hex, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
