import { lstat, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { secretVariableNames, type Config } from '../config/config.js';
import { storedProjectSettingsSchema, type ProjectSettings } from '../projects/project.schema.js';
import { ConflictError, InvalidInputError } from '../core/errors.js';
import type { NodeService } from '../nodes/node.service.js';
import type { ProjectService } from '../projects/project.service.js';
import { WorkspaceGit } from '../workspace/git.js';
import { isInside } from '../workspace/workspace-root.js';
import type { WorkspaceRoot } from '../workspace/workspace-root.js';
import type { ExchangeObserver, HttpExchange } from '../core/http-exchange.js';
import type { HandOff } from './hand-off.js';
import { createProvider } from './llm/create-provider.js';
import { pullModel, type ModelProgress } from './llm/ollama/ollama-models.js';
import type { ModelSummary } from './llm/provider.js';
import type { AgentEvent, AgentEventSink } from './loop/agent-events.js';
import { messageSection, runAgent } from './loop/agent-loop.js';
import type { AgentResult } from './loop/agent-result.js';
import { firstPrompt, modelFrame, offeredSpecs, type FirstPrompt, type ModelFrame } from './loop/first-prompt.js';
import { wholeSections, type PromptSection } from './prompt/prompt-sections.js';
import { summarizeWorkspace, workspaceContext, type WorkspaceContext } from './prompt/workspace-context.js';
import { detectBubblewrap } from './tools/sandbox.js';
import type { SandboxSettings } from './tools/sandbox-settings.js';
import { ToolError, type Tool, type ToolResult } from './tools/tool.js';
import { workspaceTools } from './tools/workspace-tools.js';
import { Vision } from './vision.js';

/** What `/api/config` shows and sets: the defaults for calls that name no workspace or model. */
export interface AgentSettings {
  workspace: string | null;
  model: string;
}

export interface AgentRunRequest {
  message: string;
  /** A folder under the workspaces dir; the configured one when absent. */
  workspace?: string;
  model?: string;
  /** A node (role) by name or id: its directive and model. */
  node?: string | number;
  /** Base64 images for vision models. */
  images?: string[];
  /**
   * The task message in parts, fitted to the model's window (a task's objective, criteria and
   * context); without them `message` is the task, whole. The workspace's files are added.
   */
  sections?: readonly PromptSection[];
  /** The agent's instructions when no node is named (a chat's, say); the default otherwise. */
  directive?: string;
  /** Told to the user as warnings when the run starts (an image the vision model could not see). */
  warnings?: readonly { code: string; message: string }[];
  /**
   * Work in this folder (a task's worktree) instead of the workspace folder, which still names
   * the project whose settings apply; `mounts` are the folders outside it commands also see.
   */
  checkout?: { dir: string; mounts?: SandboxSettings['extraMounts'] };
  /** Hand the run to another agent (a coding agent's command line) instead of wfhub's own. */
  handOff?: HandOff;
}

/** The first prompt a run would send, and how it was fitted. */
export interface PromptPreview extends FirstPrompt {
  model: string;
  node: string | null;
  frame: ModelFrame;
  /** Why the window is a guess (the model server could not be asked), when it is. */
  warning?: string;
}

/** Sections after which the workspace's file list is told: with the other facts about the project. */
const contextSectionIds = ['request', 'objective', 'acceptance_criteria', 'images', 'subtasks', 'attachments', 'discovery', 'git', 'recent_files'];

/** The workspace's files as a section that gives way early to the task itself. */
function filesSection(context: WorkspaceContext): PromptSection {
  return { id: 'files', title: 'Files in the workspace', body: summarizeWorkspace(context, 40), shorter: [summarizeWorkspace(context, 10)], priority: 30 };
}

function withFiles(sections: readonly PromptSection[], context: WorkspaceContext | undefined): PromptSection[] {
  if (!context) return [...sections];
  let at = 0;
  sections.forEach((section, index) => {
    if (contextSectionIds.includes(section.id)) at = index + 1;
  });
  return [...sections.slice(0, at), filesSection(context), ...sections.slice(at)];
}

export interface AgentRunOptions {
  /** The task message in parts, when they are known only once the run starts; they replace the request's. */
  sections?: readonly PromptSection[];
  /** More warnings to tell at the start, found once the run starts. */
  warnings?: readonly { code: string; message: string }[];
  signal?: AbortSignal;
  onEvent?: AgentEventSink;
  /** What the run belongs to (`run_id`, `conversation_id`), told with its events to `observe`. */
  about?: Readonly<Record<string, string | number>>;
}

/** A run as its observer is told of it when it starts. */
export interface ObservedRun {
  model: string;
  /** The model server's kind (ollama, openai), or the agent the run was handed to (aider, …). */
  provider: string;
  about: Readonly<Record<string, string | number>>;
}

export interface AgentServiceOptions {
  /** Told once when commands run without a sandbox, and of other things an operator should see. */
  onWarning?: (message: string) => void;
  /**
   * Called as each run starts (a task's run, a chat's answer, /api/agent/run alike); what it
   * returns hears every event of that run as it happens, before the run's own sink. It is not
   * awaited and its failures are ignored: the operator's logs never slow or stop a run.
   */
  observe?: (run: ObservedRun) => ((event: AgentEvent) => void) | undefined;
  /**
   * Told of each call to the model server once it has ended, with what it belongs to (`run_id`,
   * `conversation_id`; nothing for image descriptions): the model-call log. Not awaited.
   */
  recordCall?: (exchange: HttpExchange, about: Readonly<Record<string, string | number>>) => void;
}

/**
 * Paths no command may see, even read-only: wfhub's data (database, secret key), the other
 * projects' workspaces (the command's own is mounted back), wfhub's .env, the user's home
 * (~/.ssh, cloud credentials), and the folders of sockets that would hand out the host without
 * any network (Docker, PostgreSQL's, the user's and the system's buses).
 */
function hiddenPaths(config: Config): string[] {
  return [config.dataDir, config.workspacesDir, path.resolve('.env'), homedir(), '/run', '/var/run', '/var/tmp'];
}

/**
 * A project's settings as runs read them. Settings are checked when written; ones stored before
 * that (or by hand) are checked here, and a bad one is refused with what to fix.
 */
function checkedSettings(project: { id: number; settings: Record<string, unknown> } | undefined): ProjectSettings {
  if (!project) return {};
  const parsed = storedProjectSettingsSchema.safeParse(project.settings);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const key = issue.path.join('.');
  throw new InvalidInputError(
    'invalid_project_setting',
    `The project's settings.${key} (${JSON.stringify(project.settings[String(issue.path[0])])}) is not valid: ${issue.message}. Fix it with PATCH /projects/${project.id}.`,
    { setting: key },
  );
}

/** The smaller of the limits that are set. */
function tightest(...values: (number | undefined)[]): number | undefined {
  const set = values.filter((value): value is number => value !== undefined);
  return set.length ? Math.min(...set) : undefined;
}

/** Variables that reach a command's environment only to leak something: wfhub's secrets, agents' sockets. */
const hiddenVariables = [...secretVariableNames, 'SSH_AUTH_SOCK', 'GPG_AGENT_INFO'];

/**
 * The agent engine as a service: the workspace tools one by one (the tools API), whole agent
 * runs, and the workspace context. Used by the HTTP routes, the CLI and, later, the run worker.
 */
export class AgentService {
  private current: AgentSettings;
  /** Runs and tool calls in progress, so closing the service stops them instead of waiting. */
  private readonly active = new Set<AbortController>();
  private readonly tools: readonly Tool[];
  private readonly toolsByName: Map<string, Tool>;
  /** Describes images with the vision model, for models that cannot see. */
  readonly vision: Vision;

  constructor(
    private readonly config: Config,
    private readonly workspaces: WorkspaceRoot,
    private readonly nodes: NodeService,
    private readonly projects: ProjectService,
    private readonly options: AgentServiceOptions = {},
  ) {
    this.current = { workspace: null, model: config.model };
    this.tools = workspaceTools({ onSandboxWarning: (message) => this.options.onWarning?.(message) });
    this.toolsByName = new Map(this.tools.map((tool) => [tool.name, tool]));
    this.vision = new Vision(() => createProvider(config, { observe: this.recorder({}) }), { defaultModel: config.visionModel, allowed: config.visionModels });
  }

  settings(): AgentSettings {
    return { ...this.current };
  }

  /** Sets the default workspace (created when missing, like a project's) and model. */
  async configure(input: { workspace?: string | null; model?: string }): Promise<AgentSettings> {
    const next = { ...this.current };
    if (input.workspace === null) next.workspace = null;
    else if (input.workspace !== undefined) next.workspace = (await this.workspaces.resolve(input.workspace)).relative;
    if (input.model !== undefined) next.model = input.model;
    this.current = next;
    return this.settings();
  }

  /** The workspace named (or the default). Agent runs create a missing one; the single tools do not. */
  private async workspace(name: string | undefined, create = false) {
    const chosen = name ?? this.current.workspace;
    if (chosen === null || chosen === undefined) {
      throw new InvalidInputError(
        'workspace_required',
        'No workspace given: pass "workspace" (a folder under the workspaces dir, such as "poc"), or set a default with POST /api/config {"workspace": "poc"}.',
      );
    }
    const located = create ? await this.workspaces.resolve(chosen) : await this.workspaces.locate(chosen);
    const project = await this.projects.findByWorkspace(located.relative);
    return { root: located.absolute, relative: located.relative, project };
  }

  private sandbox(allowNetwork: boolean): SandboxSettings {
    return { mode: this.config.sandbox, allowNetwork, hiddenPaths: hiddenPaths(this.config), secretVariables: hiddenVariables };
  }

  /**
   * How a command of wfhub's own (an acceptance check, an audit) is isolated where a run works:
   * exactly as the agent's bash tool is there.
   */
  async commandSandbox(dir: string, options: { allowNetwork: boolean; mounts?: readonly { path: string; writable: boolean }[] }): Promise<SandboxSettings> {
    return { ...this.sandbox(options.allowNetwork), extraMounts: [...(options.mounts ?? []), ...(await this.submoduleMounts(dir))] };
  }

  /** What a user should be told at the start of every run about how commands are isolated. */
  private async sandboxWarnings(): Promise<{ code: string; message: string }[]> {
    if (this.config.sandbox === 'off') {
      return [{ code: 'no_sandbox', message: 'Commands run without a sandbox (WFHUB_SANDBOX=off): they can read and change anything your user can.' }];
    }
    if (this.config.sandbox === 'bwrap') return [];
    const status = await detectBubblewrap();
    return status.usable
      ? []
      : [{ code: 'no_sandbox', message: `Commands run without a sandbox: ${status.problem}. Install bubblewrap (apt-get install bubblewrap) to isolate them.` }];
  }

  /** Runs one workspace tool by name; a ToolError (outside the workspace, no match, ...) is thrown as is. */
  async runTool(name: string, input: Record<string, unknown>, options: { workspace?: string; signal?: AbortSignal } = {}): Promise<ToolResult> {
    const tool = this.toolsByName.get(name);
    if (!tool) throw new ToolError('unknown_tool', `There is no tool named "${name}".`);
    const workspace = await this.workspace(options.workspace);
    let sandbox = this.sandbox(workspace.project?.settings.allow_network === true);
    // Only a command that will run makes the workspace a repository: a refused call changes nothing.
    if (name === 'bash' && tool.parameters.safeParse(input ?? {}).success) {
      await this.ensureRepository(workspace.root);
      sandbox = { ...sandbox, extraMounts: await this.submoduleMounts(workspace.root) };
    }
    return this.tracked(options.signal, (signal) => tool.run(input, { root: workspace.root, signal, sandbox }));
  }

  /**
   * Commands never run in a workspace without a repository: it becomes one first, as it would at
   * its first run. The sandbox keeps the repository's data read-only to commands, so nothing a
   * command does can plant config (a hook, a filter) that wfhub's own git would later obey.
   */
  private async ensureRepository(root: string): Promise<void> {
    await new WorkspaceGit(root, { name: this.config.gitUserName, email: this.config.gitUserEmail }).ensureRepository();
  }

  /**
   * The git data of the workspace's submodules, read-only to commands like the workspace's own:
   * a command could otherwise point a submodule at a repository of its making.
   */
  private async submoduleMounts(root: string): Promise<{ path: string; writable: boolean }[]> {
    const links = await new WorkspaceGit(root, { name: this.config.gitUserName, email: this.config.gitUserEmail }).gitlinksIn('HEAD').catch(() => new Set<string>());
    const mounts: { path: string; writable: boolean }[] = [];
    for (const link of links) {
      const target = path.join(root, link, '.git');
      // Only the submodule's own `.git` where it is: never one a link leads elsewhere.
      const stats = await lstat(target).catch(() => undefined);
      if (stats && !stats.isSymbolicLink() && isInside(root, await realpath(target).catch(() => '/'))) mounts.push({ path: target, writable: false });
    }
    return mounts;
  }

  /** Runs `work` with a signal that fires when `outer` does or when the service is closed. */
  private async tracked<T>(outer: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const forward = () => controller.abort(outer?.reason);
    if (outer?.aborted) forward();
    outer?.addEventListener('abort', forward, { once: true });
    this.active.add(controller);
    try {
      return await work(controller.signal);
    } finally {
      this.active.delete(controller);
      outer?.removeEventListener('abort', forward);
    }
  }

  /** Cancels every run and tool call in progress (the server is shutting down). */
  cancelAll(): void {
    for (const controller of this.active) controller.abort(new Error('wfhub is shutting down.'));
  }

  async context(workspaceName?: string): Promise<WorkspaceContext & { workspace: string }> {
    const workspace = await this.workspace(workspaceName);
    return { workspace: workspace.relative, ...(await workspaceContext(workspace.root)) };
  }

  async listModels(signal?: AbortSignal): Promise<ModelSummary[]> {
    return createProvider(this.config).listModels(signal);
  }

  /**
   * Pulls a model onto the Ollama server, telling each progress line as it comes; throws with
   * Ollama's words when the pull fails. An OpenAI-compatible server has no pull: refused.
   */
  async pullModel(model: string, options: { signal?: AbortSignal; onProgress?: (progress: ModelProgress) => void } = {}): Promise<void> {
    if (this.config.llmProvider !== 'ollama') {
      throw new ConflictError(
        'pull_needs_ollama',
        `Models are pulled through Ollama, and this server uses an OpenAI-compatible one (WFHUB_LLM_PROVIDER=${this.config.llmProvider}): add the model on that server.`,
      );
    }
    await pullModel(this.config.ollamaHost, model, options);
  }

  /**
   * Checks a run request (workspace, node, model) without starting anything, so a bad request is
   * refused before a stream of events begins. The returned function runs the agent.
   */
  async prepare(request: AgentRunRequest): Promise<(options?: AgentRunOptions) => Promise<AgentResult>> {
    const { node, workspace, model, root } = await this.resolve(request);
    if (!request.checkout) await this.ensureRepository(root);
    const sandbox = {
      ...this.sandbox(workspace.project?.settings.allow_network === true),
      extraMounts: [...(request.checkout?.mounts ?? []), ...(await this.submoduleMounts(root))],
    };
    const sandboxWarnings = await this.sandboxWarnings();
    const limits = this.limits(workspace.project, node);
    const directive = node?.directive ?? request.directive;
    if (request.handOff) return this.handedOff(request, request.handOff, { node, model, root, workspace: workspace.relative, sandbox, warnings: sandboxWarnings, timeoutMs: limits.maxWallMs, directive });

    return (options = {}) =>
      this.tracked(options.signal, async (signal) => {
        const context = await workspaceContext(root, signal).catch(() => undefined);
        const onEvent = this.observed(options, { model, provider: this.config.llmProvider, about: options.about ?? {} });
        return runAgent({
          provider: createProvider(this.config, { observe: this.recorder(options.about ?? {}) }),
          model,
          root,
          message: request.message,
          sections: withFiles(options.sections ?? request.sections ?? [messageSection(request.message)], context),
          images: request.images,
          tools: this.tools,
          sandbox,
          node: node ? { name: node.name, directive: node.directive } : directive ? { name: 'chat', directive } : undefined,
          numCtxCap: this.config.numCtx,
          protocol: this.config.toolProtocol,
          limits,
          warnings: [...sandboxWarnings, ...(request.warnings ?? []), ...(options.warnings ?? [])],
          signal,
          onEvent,
        });
      });
  }

  /**
   * A run handed to another agent: it gets the task whole (it fits its own window and reads the
   * files itself), the run's sandbox with the network let through (it must reach its model) and
   * the run's time limit. The model is the one asked for, or the role's when the role is this
   * agent's; only an agent that needs one (aider, on Ollama) falls back to wfhub's default.
   */
  private handedOff(
    request: AgentRunRequest,
    handOff: HandOff,
    run: {
      node: { model: string | null; executor: string | null } | undefined;
      model: string;
      root: string;
      workspace: string;
      sandbox: SandboxSettings;
      warnings: readonly { code: string; message: string }[];
      timeoutMs: number;
      directive: string | undefined;
    },
  ): (options?: AgentRunOptions) => Promise<AgentResult> {
    const model = handOff.needsModel ? run.model : (request.model ?? (run.node?.executor === handOff.name ? run.node.model ?? undefined : undefined));
    return (options = {}) =>
      this.tracked(options.signal, async (signal) => {
        const sections = options.sections ?? request.sections ?? [messageSection(request.message)];
        const prompt = [run.directive?.trim(), wholeSections(sections)].filter(Boolean).join('\n\n');
        const onEvent = this.observed(options, { model: model ?? 'default', provider: handOff.name, about: options.about ?? {} });
        // What it changed is read by git, whatever it did: its own account of its edits may be partial.
        const repository = new WorkspaceGit(run.root, { name: this.config.gitUserName, email: this.config.gitUserEmail });
        const before = await repository.workingTree().catch(() => undefined);
        const filesChanged = async () => {
          const after = before && (await repository.workingTree().catch(() => undefined));
          return before && after ? repository.changedPaths(before, after).catch(() => []) : [];
        };
        return handOff.run({
          filesChanged,
          prompt,
          ...(model !== undefined && { model }),
          dir: run.root,
          workspace: run.workspace,
          sandbox: { ...run.sandbox, allowNetwork: true },
          timeoutMs: run.timeoutMs,
          numCtx: this.config.numCtx,
          ollamaHost: this.config.ollamaHost,
          signal,
          ...(onEvent && { onEvent }),
          warnings: [...run.warnings, ...(request.warnings ?? []), ...(options.warnings ?? [])],
        });
      });
  }

  /** What tells the model-call log of each call made for `about`, when there is a log. */
  private recorder(about: Readonly<Record<string, string | number>>): ExchangeObserver | undefined {
    const record = this.options.recordCall;
    if (!record) return undefined;
    return (exchange) => {
      try {
        record(exchange, about);
      } catch {
        // The log's failure is not the run's.
      }
    };
  }

  /** The run's own sink, told after the observer (when there is one), which cannot hold it up. */
  private observed(options: AgentRunOptions, run: ObservedRun): AgentEventSink | undefined {
    let observer: ((event: AgentEvent) => void) | undefined;
    try {
      observer = this.options.observe?.(run);
    } catch {
      observer = undefined;
    }
    if (!observer) return options.onEvent;
    const own = options.onEvent;
    return (event) => {
      try {
        observer(event);
      } catch {
        // The observer's failure is not the run's.
      }
      return own?.(event);
    };
  }

  /**
   * The first prompt a run of `request` would send, built exactly as the run builds it, without
   * running anything. When the model server cannot be asked for the model's window, the
   * configured one (WFHUB_NUM_CTX) is assumed, and the preview says so.
   */
  async previewPrompt(request: AgentRunRequest, options: { signal?: AbortSignal; withoutFolder?: boolean } = {}): Promise<PromptPreview> {
    const { signal } = options;
    const { node, model, root } = options.withoutFolder ? await this.resolveWithoutFolder(request) : await this.resolve(request);
    let warning: string | undefined;
    const info = await createProvider(this.config)
      .describeModel(model, signal)
      .catch((error: unknown) => {
        warning = `The model server could not describe ${model} (${error instanceof Error ? error.message : String(error)}); the window assumed is WFHUB_NUM_CTX (${this.config.numCtx}).`;
        return { name: model };
      });
    const frame = modelFrame(info, this.config.numCtx, this.config.toolProtocol);
    const context = root === undefined ? undefined : await workspaceContext(root, signal).catch(() => undefined);
    const specs = offeredSpecs(this.tools, frame);
    const { prompt } = firstPrompt({
      frame,
      specs,
      directive: node?.directive ?? request.directive,
      sections: withFiles(request.sections ?? [messageSection(request.message)], context),
    });
    const said = [prompt.overflow, warning].filter(Boolean).join(' ');
    return { ...prompt, model, node: node?.name ?? null, frame, ...(said && { warning: said }) };
  }

  /** As `resolve`, for a project whose folder is not on this machine: no folder, no files. */
  private async resolveWithoutFolder(request: AgentRunRequest) {
    const node = request.node === undefined ? undefined : await this.nodes.find(request.node);
    const project = request.workspace === undefined ? undefined : await this.projects.findByWorkspace(request.workspace);
    return { node, model: this.modelFor(request, node, project), root: undefined };
  }

  /** The node, workspace and model a request names, checked before anything starts. */
  private async resolve(request: AgentRunRequest, options: { create?: boolean } = {}) {
    if (request.message.trim() === '') throw new InvalidInputError('message_required', 'The message is empty: say what the agent should do.');
    // The node first: a refused request must not leave a new workspace folder behind.
    const node = request.node === undefined ? undefined : await this.nodes.find(request.node);
    const workspace = await this.workspace(request.workspace, options.create ?? true);
    return { node, workspace, model: this.modelFor(request, node, workspace.project), root: request.checkout?.dir ?? workspace.root };
  }

  /** The model a run uses: the request's, else its role's, else its project's, else the default. */
  private modelFor(request: AgentRunRequest, node: { model: string | null } | undefined, project: { settings: Record<string, unknown> } | undefined): string {
    const projectModel = project?.settings.model;
    return request.model ?? node?.model ?? (typeof projectModel === 'string' && projectModel ? projectModel : undefined) ?? this.current.model;
  }

  /**
   * A project (in its settings) and a role may set their own limits, and both hold: the tighter
   * one wins. The configuration gives the limit where neither sets one.
   */
  private limits(project: { id: number; settings: Record<string, unknown> } | undefined, node: { id: number; name: string; max_steps: number | null; max_run_minutes: number | null; token_budget: number | null } | undefined) {
    const settings = checkedSettings(project);
    const limit = (key: 'max_steps' | 'max_run_minutes' | 'token_budget', variable: string) => {
      const fromProject = settings[key] ?? undefined;
      const fromNode = node?.[key] ?? undefined;
      const value = tightest(fromProject, fromNode);
      if (value === undefined) return { source: variable };
      const source =
        value === fromNode && node
          ? `the ${node.name} role's ${key}, PATCH /nodes/${node.id}`
          : `the project's settings.${key}, PATCH /projects/${project!.id}`;
      return { value, source };
    };
    const steps = limit('max_steps', 'WFHUB_MAX_STEPS');
    const minutes = limit('max_run_minutes', 'WFHUB_MAX_RUN_MINUTES');
    const tokens = limit('token_budget', 'WFHUB_TOKEN_BUDGET');
    return {
      maxSteps: steps.value ?? this.config.maxSteps,
      maxWallMs: (minutes.value ?? this.config.maxRunMinutes) * 60_000,
      tokenBudget: tokens.value ?? this.config.tokenBudget,
      sources: { maxSteps: steps.source, maxWallMs: minutes.source, tokenBudget: tokens.source },
    };
  }

  /** Runs the agent on `request.message` until it finishes or stops; every step goes to `onEvent`. */
  async run(request: AgentRunRequest, options: AgentRunOptions = {}): Promise<AgentResult> {
    return (await this.prepare(request))(options);
  }
}
