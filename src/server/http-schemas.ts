import { z } from 'zod';

/** The one shape every error response has. */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable machine-readable code, e.g. not_found'),
      message: z.string().describe('What went wrong and what to do about it'),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'Error' });

export type ErrorBody = z.output<typeof errorSchema>;

export function errorBody(code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: { code, message, ...(details && { details }) } };
}

/** `:id` in a path: digits only; ids too large to exist answer 404 (see the id guard). */
export const idParams = z.object({
  id: z.string().regex(/^[0-9]{1,30}$/, 'must be a positive whole number').describe('Numeric id'),
});

/** The error responses every route documents. */
export const errorResponses = {
  400: errorSchema,
  401: errorSchema,
  404: errorSchema,
  409: errorSchema,
  413: errorSchema,
  415: errorSchema,
  422: errorSchema,
};
