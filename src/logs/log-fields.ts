/**
 * The Logs panel's tabs: what the server writes to its log, each HTTP call to the model server
 * (wfhub's agent's and the /ollama proxy's), and what happens to runs (their lifecycle and their
 * tool calls).
 */
export const logChannels = ['server', 'ollama_http', 'runs'] as const;
export type LogChannel = (typeof logChannels)[number];

/** pino's trace is told as debug and its fatal as error: four levels are enough to filter by. */
export const logLevels = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];
