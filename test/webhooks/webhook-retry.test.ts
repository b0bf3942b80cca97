import { describe, expect, it } from 'vitest';
import { defaultRetryPolicy, maxAttemptsOf, parseRetryAfter, retryDelay } from '../../src/webhooks/webhook-retry.js';
import { signBody, verifySignature } from '../../src/webhooks/webhook-signature.js';

describe('webhook retries', () => {
  it('waits 10 s, 30 s, 2 min, 10 min, 1 h, 3 h, 6 h (each ±20%), then gives up: eight attempts', () => {
    expect(maxAttemptsOf(defaultRetryPolicy)).toBe(8);
    const at = (random: number) => [1, 2, 3, 4, 5, 6, 7, 8].map((attempts) => retryDelay({ ...defaultRetryPolicy, random: () => random }, attempts));
    expect(at(0.5)).toEqual([10_000, 30_000, 120_000, 600_000, 3_600_000, 10_800_000, 21_600_000, undefined]);
    expect(at(0)[0]).toBe(8_000);
    expect(at(0.999_999)[0]).toBe(12_000);
  });

  it('never retries sooner than Retry-After, up to a day', () => {
    const policy = { ...defaultRetryPolicy, random: () => 0.5 };
    expect(retryDelay(policy, 1, 120_000)).toBe(120_000);
    expect(retryDelay(policy, 3, 1_000)).toBe(120_000);
    expect(retryDelay(policy, 1, 10 * 24 * 3_600_000)).toBe(24 * 3_600_000);
    // The last attempt is the last, whatever the receiver asks.
    expect(retryDelay(policy, 8, 1_000)).toBeUndefined();
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('webhook signatures', () => {
  it("signs the raw body GitHub's way, and verifies in constant time", () => {
    // echo -n '{"a":1}' | openssl dgst -sha256 -hmac 'it is a secret'
    const body = '{"a":1}';
    const signature = signBody('it is a secret', body);
    expect(signature).toBe('sha256=0ace452743dcf273f4d16c2c896e0bb430ecb6e68cbc3353d509213ce488c3c7');
    expect(verifySignature('it is a secret', Buffer.from(body), signature)).toBe(true);
    expect(verifySignature('it is a secret', '{"a": 1}', signature)).toBe(false);
    expect(verifySignature('another secret', body, signature)).toBe(false);
    expect(verifySignature('it is a secret', body, undefined)).toBe(false);
    expect(verifySignature('it is a secret', body, 'sha256=00')).toBe(false);
  });
});
