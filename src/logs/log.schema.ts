import { z } from 'zod';

/**
 * The Logs panel's tabs: what the server writes to its log, the agent's traffic with the model
 * server, and what happens to runs (their lifecycle and their tool calls).
 */
export const logChannels = ['server', 'model', 'runs'] as const;
export type LogChannel = (typeof logChannels)[number];

/** pino's trace is told as debug and its fatal as error: four levels are enough to filter by. */
export const logLevels = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];

export const logEntrySchema = z
  .object({
    seq: z
      .number()
      .int()
      .describe(
        'Order across every channel. It starts from the server\'s start time in microseconds, so it keeps increasing across restarts and `after=<the last seq seen>` always resumes',
      ),
    channel: z.enum(logChannels),
    at: z.string().describe('ISO time'),
    level: z.enum(logLevels),
    message: z.string(),
    data: z.record(z.string(), z.unknown()).optional().describe('The details, small (cut beyond 8 KB of text)'),
  })
  .meta({ id: 'LogEntry' });

export type LogEntry = z.output<typeof logEntrySchema>;

/**
 * What `/ws/logs` sends: the buffered entries after `?after=`, then `ready` (caught up), then each
 * new entry as it is written.
 */
export const logSocketMessageSchema = z
  .discriminatedUnion('type', [z.object({ type: z.literal('entry'), entry: logEntrySchema }), z.object({ type: z.literal('ready') })])
  .meta({ id: 'LogSocketMessage' });

export type LogSocketMessage = z.output<typeof logSocketMessageSchema>;
