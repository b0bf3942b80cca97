/**
 * The Logs panel's tabs: what the server writes to its log, the agent's traffic with the model
 * server, and what happens to runs (their lifecycle and their tool calls).
 */
export const logChannels = ['server', 'model', 'runs'] as const;
export type LogChannel = (typeof logChannels)[number];

/** pino's trace is told as debug and its fatal as error: four levels are enough to filter by. */
export const logLevels = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];
