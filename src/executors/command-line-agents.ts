import type { OutputReader } from './executor.js';
import { aiderOutputReader } from './aider-output.js';
import { claudeOutputReader } from './claude-output.js';
import { codexOutputReader } from './codex-output.js';
import { geminiOutputReader } from './gemini-output.js';
import { opencodeOutputReader } from './opencode-output.js';

/** What a command-line agent is started with. */
export interface AgentInvocation {
  /** The task, as one message. */
  prompt: string;
  /** The model asked for by name; each tool's own default when absent (aider needs one). */
  model?: string;
  /** Ollama's address, for the tools that drive it. */
  ollamaHost: string;
  /** The context window to fix for Ollama models (aider), so Ollama does not reload the model each call. */
  numCtx: number;
  /** A folder of this run's own, outside the workspace, for files the tool reads (aider's model settings). */
  scratchDir: string;
}

/** A coding agent's command line: how it is started, what it may see, how its output reads. */
export interface CommandLineAgent {
  name: 'aider' | 'claude' | 'codex' | 'opencode' | 'gemini';
  title: string;
  /** The program looked up on PATH. */
  command: string;
  /** How to install it, told when it is missing. */
  install: string;
  /** Its own folders under the user's home (sign-in, settings, sessions), visible and writable in the sandbox. */
  homeFolders: readonly string[];
  /** Environment variables it needs that look like secrets (its own API keys), passed through. */
  passVariables: readonly string[];
  /** Whether a run needs a model named (aider drives Ollama and has no default). */
  needsModel: boolean;
  /** The arguments after the program, and files to write in `scratchDir` first. */
  invocation(input: AgentInvocation): { args: string[]; env: Record<string, string>; files?: Record<string, string> };
  reader(): OutputReader;
}

/** Aider's name for an Ollama model: through /api/chat, which keeps the chat template. */
function aiderModel(model: string): string {
  return /^[a-z_]+\//.test(model) ? model : `ollama_chat/${model}`;
}

const aider: CommandLineAgent = {
  name: 'aider',
  title: 'Aider',
  command: 'aider',
  install: 'python -m pip install aider-install && aider-install (see https://aider.chat/docs/install.html)',
  homeFolders: ['.aider', '.cache/aider'],
  passVariables: ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'DEEPSEEK_API_KEY', 'OPENROUTER_API_KEY'],
  needsModel: true,
  invocation(input) {
    const model = aiderModel(input.model!);
    // A fixed window: Aider otherwise sizes num_ctx per request, and Ollama reloads the model each time it changes.
    const settings = `- name: ${JSON.stringify(model)}\n  extra_params:\n    num_ctx: ${input.numCtx}\n`;
    return {
      args: [
        '--model', model,
        '--model-settings-file', `${input.scratchDir}/model-settings.yml`,
        '--yes-always',
        '--no-auto-commits',
        '--no-dirty-commits',
        '--no-pretty',
        '--no-stream',
        '--no-check-update',
        '--no-show-model-warnings',
        '--no-gitignore',
        '--analytics-disable',
        '--no-detect-urls',
        '--message', input.prompt,
      ],
      env: { OLLAMA_API_BASE: input.ollamaHost },
      files: { 'model-settings.yml': settings },
    };
  },
  reader: aiderOutputReader,
};

const claude: CommandLineAgent = {
  name: 'claude',
  title: 'Claude Code',
  command: 'claude',
  install: 'npm install -g @anthropic-ai/claude-code, then sign in once with `claude`',
  homeFolders: ['.claude', '.claude.json', '.config/claude'],
  passVariables: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN'],
  needsModel: false,
  invocation(input) {
    return {
      args: ['-p', input.prompt, '--output-format', 'stream-json', '--verbose', '--permission-mode', 'acceptEdits', ...(input.model ? ['--model', input.model] : [])],
      env: {},
    };
  },
  reader: claudeOutputReader,
};

const codex: CommandLineAgent = {
  name: 'codex',
  title: 'Codex CLI',
  command: 'codex',
  install: 'npm install -g @openai/codex, then sign in once with `codex login`',
  homeFolders: ['.codex'],
  passVariables: ['OPENAI_API_KEY', 'CODEX_API_KEY'],
  needsModel: false,
  invocation(input) {
    return {
      args: ['exec', '--json', '--full-auto', '--skip-git-repo-check', ...(input.model ? ['--model', input.model] : []), input.prompt],
      env: {},
    };
  },
  reader: codexOutputReader,
};

const opencode: CommandLineAgent = {
  name: 'opencode',
  title: 'OpenCode',
  command: 'opencode',
  install: 'npm install -g opencode-ai (see https://opencode.ai/docs)',
  homeFolders: ['.config/opencode', '.local/share/opencode', '.local/state/opencode', '.cache/opencode'],
  passVariables: ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'OPENROUTER_API_KEY'],
  needsModel: false,
  invocation(input) {
    return { args: ['run', '--format', 'json', ...(input.model ? ['--model', input.model] : []), input.prompt], env: {} };
  },
  reader: opencodeOutputReader,
};

const gemini: CommandLineAgent = {
  name: 'gemini',
  title: 'Gemini CLI',
  command: 'gemini',
  install: 'npm install -g @google/gemini-cli, then sign in once with `gemini`',
  homeFolders: ['.gemini'],
  passVariables: ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_CLOUD_PROJECT', 'GOOGLE_APPLICATION_CREDENTIALS'],
  needsModel: false,
  invocation(input) {
    return { args: ['--output-format', 'stream-json', '--yolo', ...(input.model ? ['--model', input.model] : []), '--prompt', input.prompt], env: {} };
  },
  reader: geminiOutputReader,
};

/** Every command-line agent wfhub can hand a run to, by name. */
export const commandLineAgents: Readonly<Record<CommandLineAgent['name'], CommandLineAgent>> = { aider, claude, codex, opencode, gemini };
