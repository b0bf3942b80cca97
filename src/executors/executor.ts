import type { AgentEventMap } from '../agent/loop/agent-events.js';

/** The events a command-line agent's output is read into: the same ones the built-in agent tells. */
export type ExecutorEvent =
  | ({ type: 'llm.delta' } & AgentEventMap['llm.delta'])
  | ({ type: 'llm.response' } & AgentEventMap['llm.response'])
  | ({ type: 'tool.called' } & AgentEventMap['tool.called'])
  | ({ type: 'tool.result' } & AgentEventMap['tool.result'])
  | ({ type: 'run.warning' } & AgentEventMap['run.warning']);

/** What a command-line agent's output said once it ended. */
export interface OutputSummary {
  /** The agent's last answer, its summary of what it did. */
  summary: string;
  prompt_tokens: number;
  completion_tokens: number;
  /** Model turns the output told of. */
  steps: number;
  tool_calls: number;
  /** The model the tool reports it used, when it says. */
  model?: string;
  /** The tool's own verdict: false when it reported a failure (its exit code is judged apart). */
  ok: boolean;
  /** Why it failed, in the tool's words, when it said (absent when its output just stopped short). */
  error?: string;
}

/**
 * Reads one command-line agent's stdout, a line at a time, into wfhub's events. One reader per
 * run: it keeps the state the format needs (open tool calls, the text of the current turn).
 */
export interface OutputReader {
  /** One line of stdout, without its newline; returns the events it tells (none for a line it does not know). */
  line(text: string): ExecutorEvent[];
  /** Once stdout has ended: what the whole output said. */
  end(): OutputSummary;
}
