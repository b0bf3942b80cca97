import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header a delivery's signature is sent in. */
export const signatureHeader = 'x-wfhub-signature';

/**
 * GitHub's convention: `sha256=` and the hex HMAC-SHA256 of the raw body, keyed with the
 * webhook's secret (its UTF-8 bytes). Nothing else is signed: the body carries the delivery id
 * and the event's time.
 */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether `signature` is the body's, compared in constant time (what a receiver does). */
export function verifySignature(secret: string, body: string | Buffer, signature: string | undefined): boolean {
  if (!signature) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
