import type { AgentEventSink } from './loop/agent-events.js';
import type { AgentResult } from './loop/agent-result.js';
import type { SandboxSettings } from './tools/sandbox-settings.js';

/** What another agent is started with when a run is handed to it instead of wfhub's own. */
export interface HandOffInput {
  /** The task as one message: the role's directive and every section, whole. */
  prompt: string;
  /** The model asked for; the other agent's own default when absent. */
  model?: string;
  /** Where it works (the run's checkout), and the workspace as the run names it. */
  dir: string;
  workspace: string;
  /** How it is isolated, as the built-in agent's commands are there. */
  sandbox: SandboxSettings;
  /** The run's time limit. */
  timeoutMs: number;
  /** The context window and model server, for agents that drive Ollama. */
  numCtx: number;
  ollamaHost: string;
  signal: AbortSignal;
  onEvent?: AgentEventSink;
  warnings: readonly { code: string; message: string }[];
  /** The files changed since it started, as git sees them: asked once it has ended, for its result. */
  filesChanged: () => Promise<string[]>;
}

/**
 * Another agent a run can be handed to (a coding agent's command line): it tells the same events
 * and ends with the same result as wfhub's own, so the run's record does not depend on who worked.
 */
export interface HandOff {
  /** Its executor name (aider, claude, …). */
  name: string;
  /** Whether it needs a model named: then the run's model is chosen as for the built-in agent. */
  needsModel: boolean;
  run(input: HandOffInput): Promise<AgentResult>;
}
