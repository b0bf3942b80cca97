import type { FinishReason } from '../llm/llm-types.js';
import type { AgentResult } from './agent-result.js';

/**
 * Everything an agent run reports, defined once. The CLI's progress, the NDJSON stream of
 * `/api/agent/run?stream=true` and the persisted transcript are all this union.
 */
export interface AgentEventMap {
  'run.started': {
    model: string;
    provider: string;
    workspace: string;
    node?: string;
    /** The command-line agent the run was handed to (aider, claude, …); absent for wfhub's own agent. */
    executor?: string;
    /** How tools are offered: the server's native tool calling, or wfhub's text protocol. */
    protocol: 'native' | 'text';
    num_ctx: number;
    tools: string[];
    /** The task message as sent, after fitting it to the window. */
    prompt?: string;
    /** The first prompt (system, task, tool schemas), as wfhub estimates it. */
    estimated_prompt_tokens?: number;
    /** Sections of the task message shortened or dropped to fit the window. */
    trimmed_sections?: { id: string; state: 'shortened' | 'dropped' }[];
  };
  'llm.request': { step: number; messages: number; estimated_prompt_tokens: number; collapsed_outputs: number; dropped_messages: number };
  'llm.delta': { step: number; kind: 'text' | 'reasoning'; text: string };
  'llm.response': {
    step: number;
    text: string;
    tool_calls: number;
    finish_reason: FinishReason;
    prompt_tokens: number;
    completion_tokens: number;
    duration_ms: number;
  };
  'llm.retry': { step: number; message: string };
  'tool.called': { step: number; call_id: string; name: string; arguments: unknown; recovered: boolean };
  'tool.result': {
    step: number;
    call_id: string;
    name: string;
    ok: boolean;
    /** The text the model was given. */
    output: string;
    code?: string;
    files_changed?: readonly string[];
    metadata?: Readonly<Record<string, unknown>>;
    duration_ms: number;
  };
  /** Something the user should know that did not stop the run (a malformed call, no sandbox). */
  'run.warning': { step: number; code: string; message: string };
  'run.finished': { result: AgentResult };
  'run.failed': { result: AgentResult };
}

export type AgentEventType = keyof AgentEventMap;

export type AgentEvent = {
  [Type in AgentEventType]: { type: Type; /** Order within the run, from 1. */ seq: number; /** ISO time. */ at: string } & AgentEventMap[Type];
}[AgentEventType];

/** Receives each event in order; a returned promise is awaited, so a slow sink slows the run instead of losing events. */
export type AgentEventSink = (event: AgentEvent) => void | Promise<void>;
