import type { ToolSpec } from '../llm/llm-types.js';
import type { Tool } from '../tools/tool.js';
import { finishToolSpec } from './finish-tool.js';
import type { ModelInfo } from '../llm/provider.js';
import { fitSections, type PromptSection, type SectionReport } from '../prompt/prompt-sections.js';
import { systemPrompt } from '../prompt/system-prompt.js';
import { ContextWindow } from './context-window.js';

/** How a run talks to its model: the window, the room for answers and the tool protocol. */
export interface ModelFrame {
  numCtx: number;
  maxOutputTokens: number;
  protocol: 'native' | 'text';
}

/** The window a run works in: the model's own, capped by what wfhub may ask for. */
export function modelFrame(info: ModelInfo, numCtxCap: number, protocol: 'auto' | 'native' | 'text'): ModelFrame {
  const numCtx = Math.min(numCtxCap, info.contextLength ?? numCtxCap);
  return {
    numCtx,
    maxOutputTokens: Math.max(512, Math.min(4096, Math.floor(numCtx / 4))),
    protocol: protocol === 'auto' ? (info.tools === false ? 'text' : 'native') : protocol,
  };
}

/**
 * Up to this window the tools are offered in their brief form: the full descriptions and
 * parameter notes take some 2,000 tokens, half of a 4k window.
 */
export const smallWindow = 8192;

/** A JSON schema without its `description`s (names and types say enough in a small window). */
function withoutDescriptions(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutDescriptions);
  if (!schema || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema as Record<string, unknown>)
      .filter(([key, value]) => !(key === 'description' && typeof value === 'string'))
      .map(([key, value]) => [key, key === 'properties' ? Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([name, property]) => [name, withoutDescriptions(property)])) : withoutDescriptions(value)]),
  );
}

/** The tools as the model is told of them, finish last: brief in a small window, in full otherwise. */
export function offeredSpecs(tools: readonly Tool[], frame: Pick<ModelFrame, 'numCtx'>): ToolSpec[] {
  if (frame.numCtx > smallWindow) {
    return [...tools.map((tool) => ({ name: tool.name, description: tool.description, parameters: tool.jsonSchema })), finishToolSpec];
  }
  return [
    ...tools.map((tool) => ({ name: tool.name, description: tool.brief, parameters: withoutDescriptions(tool.jsonSchema) as Record<string, unknown> })),
    { ...finishToolSpec, description: 'Ends the run: call it when the task is done (or cannot be done) with a short summary.', parameters: withoutDescriptions(finishToolSpec.parameters) as Record<string, unknown> },
  ];
}

/**
 * The task message may take at most this share of what is left after the system prompt and the
 * tools: the rest is the room the run works in (file contents, command output, answers).
 */
const taskShare = 0.5;
/** What required sections (objective, criteria) may take when they alone exceed their share. */
const requiredShare = 0.8;

export interface FirstPrompt {
  system: string;
  user: string;
  /** The whole first prompt (system, task, tool schemas) as wfhub estimates it. */
  estimatedTokens: number;
  /** The most a prompt may take in this window. */
  budget: number;
  /** The most the task message could take. */
  taskBudget: number;
  /** Said when even the fitted prompt is larger than the window allows (a huge directive). */
  overflow?: string;
  sections: SectionReport[];
}

export interface FirstPromptInput {
  frame: ModelFrame;
  /** Every tool offered, finish included. */
  specs: readonly ToolSpec[];
  directive?: string;
  workspaceSummary?: string;
  /** The task message in parts, fitted to the window. */
  sections: readonly PromptSection[];
}

/** What to do about a first prompt larger than its window, naming the part that takes the room. */
function overflowAdvice(estimated: number, budget: number, fixed: number, directiveTokens: number): string {
  const start = `The first prompt takes about ${estimated} tokens, more than the ${budget} this window allows`;
  if (directiveTokens > 0 && directiveTokens >= fixed / 4) {
    return `${start}: the system prompt (${fixed} tokens with the tools, ${directiveTokens} of them the role's directive) is too long for it. Shorten the directive, or use a model with a larger window.`;
  }
  return `${start}: wfhub's rules and the tools alone take ${fixed} tokens. Use a model with a larger window (or raise WFHUB_NUM_CTX if the model takes more).`;
}

/**
 * The first prompt of a run, fitted to the model's window: the system prompt (the role's
 * directive, the rules, the text protocol when used) whole, and the task's sections trimmed,
 * least useful first, to their share of what remains. Runs and prompt previews both build it here.
 */
export function firstPrompt(input: FirstPromptInput): { prompt: FirstPrompt; window: ContextWindow } {
  const { frame } = input;
  const reserved = frame.protocol === 'native' ? JSON.stringify(input.specs).length : 0;
  const window = new ContextWindow(frame.numCtx, frame.maxOutputTokens, reserved);
  const system = systemPrompt({ directive: input.directive, tools: input.specs, protocol: frame.protocol, workspaceSummary: input.workspaceSummary });
  const measure = (text: string) => window.estimate([{ role: 'user', content: text }]);
  const fixed = window.estimate([{ role: 'system', content: system }]) + Math.ceil(reserved / window.charsPerTokenEstimate);
  const room = Math.max(0, window.budget - fixed);
  const taskBudget = Math.floor(room * taskShare);
  // The objective and criteria may take more than their share, but leave the run some room.
  const fitted = fitSections(input.sections, { budget: taskBudget, limit: Math.floor(room * requiredShare) }, measure);
  const estimatedTokens = fixed + measure(fitted.text);
  return {
    window,
    prompt: {
      system,
      user: fitted.text,
      estimatedTokens,
      budget: window.budget,
      ...(estimatedTokens > window.budget && { overflow: overflowAdvice(estimatedTokens, window.budget, fixed, input.directive ? measure(input.directive) : 0) }),
      taskBudget,
      sections: fitted.sections,
    },
  };
}
