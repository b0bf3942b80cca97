/** `WFHUB_SANDBOX`: `bwrap` requires bubblewrap, `off` runs commands directly, `auto` uses it when installed. */
export type SandboxMode = 'auto' | 'bwrap' | 'off';

/** How `bash` isolates a command. */
export interface SandboxSettings {
  readonly mode: SandboxMode;
  /** Let commands reach the network (a project setting; off by default). */
  readonly allowNetwork: boolean;
  /**
   * Folders a command must never see, even read-only: wfhub's data dir (database, secret key) and
   * the user's home (~/.ssh). The workspace itself stays visible even when it lies inside one.
   */
  readonly hiddenPaths: readonly string[];
  /** Environment variable names never passed to a command (wfhub's own secrets). */
  readonly secretVariables: readonly string[];
  /**
   * Folders outside the workspace a command also sees, mounted after the hidden ones: a task
   * worktree's git folders (read-only, as the workspace's own `.git` always is), so `git status`
   * and `git diff` work there.
   */
  readonly extraMounts?: readonly { readonly path: string; readonly writable: boolean }[];
}
