/**
 * Why a call to a model server failed. Each kind has one clear message that says what to do; the
 * loop ends the run with it, the CLI prints it, the API returns it in the run's result.
 */
export type LlmErrorCode =
  | 'llm_unreachable'
  | 'llm_model_not_found'
  | 'llm_rate_limited'
  | 'llm_server_error'
  | 'llm_bad_request'
  | 'llm_unauthorized'
  | 'llm_connect_timeout'
  | 'llm_first_token_timeout'
  | 'llm_idle_timeout'
  | 'llm_call_timeout'
  | 'llm_stream_error'
  | 'llm_bad_response'
  | 'llm_cancelled';

/** Codes worth another attempt, as long as nothing was received yet (AI SDK's rule: 408/409/429/5xx). */
const retryableCodes = new Set<LlmErrorCode>(['llm_unreachable', 'llm_rate_limited', 'llm_server_error', 'llm_connect_timeout']);

export class LlmError extends Error {
  override readonly name = 'LlmError';
  readonly retryable: boolean;
  constructor(
    readonly code: LlmErrorCode,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; url?: string; model?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retryable = retryableCodes.has(code);
  }
}

/** True for errors a retry could fix (the server was down, busy or overloaded). */
export function isRetryable(error: unknown): boolean {
  return error instanceof LlmError && error.retryable;
}
