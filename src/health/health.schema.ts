import { z } from 'zod';

export const checkStatusSchema = z.enum(['ok', 'degraded', 'down']);

const checkSchema = z.object({
  status: checkStatusSchema,
  message: z.string(),
  latency_ms: z.number().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const fullHealthSchema = z
  .object({
    overall_status: checkStatusSchema,
    version: z.string(),
    uptime_s: z.number(),
    checks: z.object({
      database: checkSchema,
      model_server: checkSchema,
      disk: checkSchema,
      queue: checkSchema,
    }),
  })
  .meta({ id: 'FullHealth' });

export type CheckStatus = z.output<typeof checkStatusSchema>;
export type Check = z.output<typeof checkSchema>;
export type FullHealth = z.output<typeof fullHealthSchema>;
