import { z } from 'zod';

/** The largest id the database can hold (ids are 32-bit identity columns). */
export const maxId = 2_147_483_647;

export const idSchema = z.number().int().min(1).max(maxId);

/** The longest a run may last, whoever sets its limit: a day (the run queue holds a job no longer). */
export const maxRunMinutes = 1440;

/**
 * PostgreSQL cannot store NUL in text, and a lone UTF-16 surrogate cannot be encoded (a driver
 * would silently replace it, or refuse it inside JSON): refusing both here gives a clear 400.
 */
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isStorableText = (value: string) => !value.includes('\0') && !loneSurrogate.test(value);
const unstorableMessage = 'must not contain NUL characters or unpaired surrogates (invalid Unicode)';

/** Text with a length limit and no NUL bytes. */
export function text(options: { min?: number; max: number }) {
  return z
    .string()
    .min(options.min ?? 0, options.min ? `must not be empty` : undefined)
    .max(options.max, `must be at most ${options.max} characters`)
    .refine(isStorableText, unstorableMessage);
}

/** Like `text`, but surrounding whitespace is dropped and something must remain. */
export function label(max: number) {
  return z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine(isStorableText, unstorableMessage);
}

function isStorableJson(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (typeof value === 'string') return isStorableText(value);
  // JSON.parse turns 1e400 into Infinity, which JSON cannot store: it would come back as null.
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => isStorableJson(item, depth + 1));
  if (value && typeof value === 'object') {
    return Object.entries(value).every(([key, item]) => isStorableText(key) && isStorableJson(item, depth + 1));
  }
  return true;
}

/** A free-form JSON object (environment, settings): any JSON, at most 64 levels deep, no NUL. */
export const jsonObject = z
  .record(z.string(), z.unknown())
  .refine(
    (value) => isStorableJson(value),
    'must not contain NUL characters, invalid Unicode or numbers too large for JSON, nor nest deeper than 64 levels',
  );

/** `?limit=&offset=` on every list. */
export const pagingQuery = {
  limit: z.coerce.number().int().min(1).max(5000).default(100).describe('Page size (1-5000, default 100)'),
  offset: z.coerce.number().int().min(0).max(maxId).default(0).describe('Items to skip'),
};

export interface Page {
  limit: number;
  offset: number;
}

export interface PageOf<T> {
  items: T[];
  total: number;
}

export const timestampSchema = z.date();
