/**
 * The ways a run is stopped from outside the model's choice, each a small function of the run's
 * state: they are checked before every model call and tested one by one.
 */

export interface LoopState {
  /** Model calls made so far. */
  readonly steps: number;
  readonly startedAtMs: number;
  readonly nowMs: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Signatures (name + arguments) of the tool calls so far, oldest first. */
  readonly callSignatures: readonly string[];
  /** Malformed calls or replies in a row. */
  readonly consecutiveFormatErrors: number;
}

export interface Stop {
  readonly code: string;
  readonly message: string;
}

export type StopCondition = (state: LoopState) => Stop | undefined;

/** `source` says where the limit is set, so the message tells the user what to raise. */
export function stepLimit(maxSteps: number, source = 'WFHUB_MAX_STEPS'): StopCondition {
  return (state) =>
    state.steps >= maxSteps
      ? { code: 'step_limit', message: `Stopped after ${maxSteps} steps without finishing. Raise the limit (${source}) or split the task.` }
      : undefined;
}

/** "30 minutes", "90 s": how a limit is said back to the user. */
export function describeDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}`;
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} minutes`;
  return `${Math.round(ms / 100) / 10} s`;
}

/** The stop for a run out of time, whether seen between steps or in the middle of one. */
export function timeLimitStop(maxMs: number, source = 'WFHUB_MAX_RUN_MINUTES'): Stop {
  return { code: 'time_limit', message: `Stopped after ${describeDuration(maxMs)}, the run's time limit (${source}).` };
}

export function timeLimit(maxMs: number, source?: string): StopCondition {
  return (state) => (state.nowMs - state.startedAtMs >= maxMs ? timeLimitStop(maxMs, source) : undefined);
}

export function tokenBudget(maxTokens: number, source = 'WFHUB_TOKEN_BUDGET'): StopCondition {
  return (state) =>
    state.promptTokens + state.completionTokens >= maxTokens
      ? {
          code: 'token_budget',
          message: `Stopped after using ${state.promptTokens + state.completionTokens} tokens, over the budget of ${maxTokens} (${source}).`,
        }
      : undefined;
}

/** The same call (name and arguments) `times` in a row: the model is stuck in a loop. */
export function repeatedCall(times = 3): StopCondition {
  return (state) => {
    const calls = state.callSignatures;
    if (calls.length < times) return undefined;
    const last = calls[calls.length - 1];
    for (let index = calls.length - times; index < calls.length; index++) if (calls[index] !== last) return undefined;
    const name = last!.slice(0, last!.indexOf('('));
    return { code: 'repeated_call', message: `Stopped: the model made the same ${name} call ${times} times in a row and was making no progress.` };
  };
}

/** Malformed tool calls or replies `limit` times in a row: the model cannot follow the format. */
export function formatErrors(limit = 3): StopCondition {
  return (state) =>
    state.consecutiveFormatErrors >= limit
      ? {
          code: 'format_errors',
          message: `Stopped: ${limit} malformed tool calls in a row. The model is not following the tool format; try a larger model or WFHUB_TOOL_PROTOCOL=text.`,
        }
      : undefined;
}

/** The first condition that says stop, if any. */
export function firstStop(conditions: readonly StopCondition[], state: LoopState): Stop | undefined {
  for (const condition of conditions) {
    const stop = condition(state);
    if (stop) return stop;
  }
  return undefined;
}

/** A call's identity for loop detection: the name and its arguments with keys in a stable order. */
export function callSignature(name: string, args: unknown): string {
  return `${name}(${stableJson(args)})`;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
