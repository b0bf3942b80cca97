import type { SandboxSettings } from '../agent/tools/sandbox-settings.js';

/** How a gate runs a command of its own (an acceptance check, an audit) where a run works. */
export interface GateCommandOptions {
  /** Real absolute path of where the run works: the working directory and the only writable folder. */
  dir: string;
  /** The same settings the bash tool gets (the network only if the project allows it). */
  sandbox: SandboxSettings;
  timeoutMs: number;
  /** Aborting stops the command's whole process group; the gate then rejects with the signal's reason. */
  signal: AbortSignal;
  /** The bubblewrap executable, as BashToolOptions.bubblewrap. */
  bubblewrap?: string;
  /**
   * Called with the one-time warning when sandbox mode `auto` finds no working bubblewrap. It is
   * given once per process, so whoever receives it must log it or nobody ever will.
   */
  onSandboxWarning?: (message: string) => void;
}
