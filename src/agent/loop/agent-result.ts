/** Why a run ended. */
export type StopCode =
  | 'finished'
  | 'final_answer'
  | 'step_limit'
  | 'time_limit'
  | 'token_budget'
  | 'repeated_call'
  | 'format_errors'
  | 'cancelled'
  | 'model_error'
  | 'internal_error';

export interface AgentUsage {
  prompt_tokens: number;
  completion_tokens: number;
  steps: number;
  tool_calls: number;
  duration_ms: number;
}

/** What a run produced. `status` is `succeeded` only when the agent said it was done. */
export interface AgentResult {
  status: 'succeeded' | 'failed' | 'cancelled';
  stop: { code: StopCode | string; message: string };
  /** The agent's own summary of what it did (its final answer or the finish tool's summary). */
  summary: string;
  /** Workspace-relative paths the file tools created or changed, sorted. */
  files_changed: string[];
  usage: AgentUsage;
  model: string;
  provider: string;
}
