import { z } from 'zod';
import { logChannels, logLevels } from './log-fields.js';

export { logChannels, logLevels, type LogChannel, type LogLevel } from './log-fields.js';

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
