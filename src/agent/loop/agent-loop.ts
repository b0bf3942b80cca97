import { LlmError } from '../llm/llm-error.js';
import type { ChatMessage, FinishReason, ToolCall, ToolSpec } from '../llm/llm-types.js';
import type { LlmProvider, ModelInfo } from '../llm/provider.js';
import { formatErrorMessage } from '../llm/format-error.js';
import { formatAssistantCallForText, formatToolResultForText } from '../llm/text-protocol.js';
import { recoverToolCalls } from '../llm/tool-call-recovery.js';
import type { PromptSection } from '../prompt/prompt-sections.js';
import { capText } from '../tools/output-limit.js';
import type { SandboxSettings } from '../tools/sandbox-settings.js';
import { ToolError, type Tool } from '../tools/tool.js';
import type { AgentEvent, AgentEventMap, AgentEventSink, AgentEventType } from './agent-events.js';
import type { AgentResult } from './agent-result.js';
import type { HistoryEntry } from './context-window.js';
import { firstPrompt, modelFrame, offeredSpecs } from './first-prompt.js';
import { finishSummary, finishToolSpec } from './finish-tool.js';
import { callSignature, firstStop, formatErrors, repeatedCall, stepLimit, timeLimit, timeLimitStop, tokenBudget, type Stop, type StopCondition } from './stop-conditions.js';

export interface AgentLimits {
  readonly maxSteps: number;
  readonly maxWallMs: number;
  readonly tokenBudget?: number;
  /** Where each limit was set (a variable, a project's or a role's setting), for the stop's message. */
  readonly sources?: { readonly maxSteps?: string; readonly maxWallMs?: string; readonly tokenBudget?: string };
}

export interface AgentOptions {
  readonly provider: LlmProvider;
  readonly model: string;
  /** The workspace's real absolute path. */
  readonly root: string;
  /** The task: what the user asked. */
  readonly message: string;
  /**
   * The task message in parts (objective, criteria, context), fitted to the model's window;
   * without them the message is the task, whole.
   */
  readonly sections?: readonly PromptSection[];
  /** Base64 images given with the task (used when the model has vision). */
  readonly images?: readonly string[];
  readonly tools: readonly Tool[];
  readonly sandbox: SandboxSettings;
  /** The role's name and directive (a node). */
  readonly node?: { name: string; directive: string };
  /** The most context to ask for; the model's own window may be smaller. */
  readonly numCtxCap: number;
  readonly protocol: 'auto' | 'native' | 'text';
  readonly limits: AgentLimits;
  readonly workspaceSummary?: string;
  /** Told to the user as `run.warning` events when the run starts (commands without a sandbox, say). */
  readonly warnings?: readonly { code: string; message: string }[];
  readonly signal?: AbortSignal;
  readonly onEvent?: AgentEventSink;
  /** For tests of time limits; defaults to Date.now. */
  readonly now?: () => number;
}

interface Turn {
  text: string;
  calls: ToolCall[];
  finishReason: FinishReason;
  promptTokens: number;
  completionTokens: number;
}

/** An Aider SEARCH/REPLACE block: its three markers, in order, each on a line of its own. */
const searchReplaceBlock = /^\s*<{5,9} SEARCH>?\s*$[\s\S]*?^\s*={5,9}\s*$[\s\S]*?^\s*>{5,9} REPLACE\s*$/m;

/** Replies that show code instead of writing it: the chatbot failure of small models. */
const codeBlock = /```[\s\S]*?\n[\s\S]*?```/;

/** A plain request as the task message: all of it is required. */
export function messageSection(message: string): PromptSection {
  return { id: 'request', title: '', body: message, required: true, prose: true, priority: 100 };
}

/** Runs an agent on a task until it finishes, fails or is stopped, reporting every step as an event. */
export async function runAgent(options: AgentOptions): Promise<AgentResult> {
  const now = options.now ?? Date.now;
  const startedAtMs = now();
  const cancel = options.signal ?? new AbortController().signal;
  // The wall-time limit also stops a step in the middle (a long model call or command), not only
  // between steps.
  const deadline = AbortSignal.timeout(Math.max(1, options.limits.maxWallMs));
  const signal = AbortSignal.any([cancel, deadline]);
  let seq = 0;
  const emit = async <Type extends AgentEventType>(type: Type, data: AgentEventMap[Type]) => {
    const event = { type, seq: ++seq, at: new Date().toISOString(), ...data } as AgentEvent;
    await options.onEvent?.(event);
  };

  const toolsByName = new Map(options.tools.map((tool) => [tool.name, tool]));
  const filesChanged = new Set<string>();
  let steps = 0;
  let toolCalls = 0;
  let promptTokens = 0;
  let completionTokens = 0;
  let consecutiveFormatErrors = 0;
  const callSignatures: string[] = [];
  let successfulCalls = 0;

  const result = (status: AgentResult['status'], stop: Stop, summary = ''): AgentResult => ({
    status,
    stop,
    summary,
    files_changed: [...filesChanged].sort(),
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, steps, tool_calls: toolCalls, duration_ms: now() - startedAtMs },
    model: options.model,
    provider: options.provider.kind,
  });
  const end = async (outcome: AgentResult) => {
    await emit(outcome.status === 'succeeded' ? 'run.finished' : 'run.failed', { result: outcome });
    return outcome;
  };
  /** Why `signal` fired: the caller cancelled, or the run's time was up. */
  const cancelled = () =>
    cancel.aborted
      ? result('cancelled', { code: 'cancelled', message: 'The run was cancelled.' })
      : result('failed', timeLimitStop(options.limits.maxWallMs, options.limits.sources?.maxWallMs));

  let info: ModelInfo;
  try {
    info = await options.provider.describeModel(options.model, signal);
  } catch (error) {
    return end(failure(error));
  }

  const frame = modelFrame(info, options.numCtxCap, options.protocol);
  const specs: ToolSpec[] = offeredSpecs(options.tools, frame);
  const { numCtx, maxOutputTokens, protocol } = frame;
  const images = info.vision === false ? undefined : options.images;
  const { prompt: first, window } = firstPrompt({
    frame,
    specs,
    directive: options.node?.directive,
    workspaceSummary: options.workspaceSummary,
    sections: options.sections ?? [messageSection(options.message)],
  });

  const history: HistoryEntry[] = [
    { message: { role: 'system', content: first.system } },
    { message: images?.length ? { role: 'user', content: first.user, images } : { role: 'user', content: first.user } },
  ];

  const conditions: StopCondition[] = [
    stepLimit(options.limits.maxSteps, options.limits.sources?.maxSteps),
    timeLimit(options.limits.maxWallMs, options.limits.sources?.maxWallMs),
    ...(options.limits.tokenBudget ? [tokenBudget(options.limits.tokenBudget, options.limits.sources?.tokenBudget)] : []),
    repeatedCall(3),
    formatErrors(3),
  ];

  await emit('run.started', {
    model: options.model,
    provider: options.provider.kind,
    workspace: options.root,
    node: options.node?.name,
    protocol,
    num_ctx: numCtx,
    tools: specs.map((spec) => spec.name),
    prompt: first.user,
    estimated_prompt_tokens: first.estimatedTokens,
    trimmed_sections: first.sections.flatMap(({ id, state }) => (state === 'kept' ? [] : [{ id, state }])),
  });
  for (const warning of options.warnings ?? []) await emit('run.warning', { step: 0, ...warning });
  if (first.overflow) await emit('run.warning', { step: 0, code: 'prompt_too_large', message: first.overflow });
  if (options.images?.length && !images) {
    await emit('run.warning', { step: 0, code: 'images_ignored', message: `${options.model} cannot see images; the images were not sent.` });
  }

  const formatError = async (step: number, problem: string) => {
    consecutiveFormatErrors++;
    await emit('run.warning', { step, code: 'format_error', message: problem });
  };
  const addToolResult = (call: ToolCall, output: string, failed = false) => {
    const content = capText(output, window.maxToolOutputChars, 'the output was too long for the context window').text;
    history.push(
      protocol === 'native'
        ? { message: { role: 'tool', content, toolName: call.name, toolCallId: call.id }, toolResult: { name: call.name } }
        : { message: { role: 'user', content: formatToolResultForText(call.name, content, { error: failed }) }, toolResult: { name: call.name } },
    );
  };

  try {
    for (;;) {
      if (signal.aborted) return end(cancelled());
      const stop = firstStop(conditions, {
        steps,
        startedAtMs,
        nowMs: now(),
        promptTokens,
        completionTokens,
        callSignatures,
        consecutiveFormatErrors,
      });
      if (stop) return end(result('failed', stop));

      steps++;
      const step = steps;
      const prompt = window.fit(history);
      await emit('llm.request', {
        step,
        messages: prompt.messages.length,
        estimated_prompt_tokens: prompt.estimatedTokens,
        collapsed_outputs: prompt.collapsedOutputs,
        dropped_messages: prompt.droppedMessages,
      });
      const turn = await callModel(step, prompt.messages);
      promptTokens += turn.promptTokens;
      completionTokens += turn.completionTokens;
      if (turn.promptTokens > 0) window.calibrate(turn.promptTokens);

      let calls = turn.calls;
      let recovered = false;
      let visibleText = turn.text;
      let problems: string[] = [];
      if (calls.length === 0) {
        const recovery = recoverToolCalls(turn.text, specs);
        problems = recovery.problems;
        visibleText = recovery.text;
        if (recovery.calls.length > 0) {
          recovered = true;
          calls = recovery.calls.map((call, index) => ({ id: `step${step}_call${index + 1}`, name: call.name, arguments: call.arguments }));
        } else if (problems.length === 0 && toolsByName.has('edit') && searchReplaceBlock.test(turn.text)) {
          // Models trained on Aider's format often answer with SEARCH/REPLACE blocks instead of a
          // call: they are exactly what the edit tool's `blocks` takes.
          recovered = true;
          calls = [{ id: `step${step}_call1`, name: 'edit', arguments: { blocks: turn.text } }];
        }
      }

      // Record the assistant's turn as the model should see it next time: native calls as calls,
      // text-protocol calls in the protocol's own form.
      if (protocol === 'native') {
        history.push({ message: { role: 'assistant', content: recovered ? visibleText : turn.text, toolCalls: calls.length ? calls : undefined } });
      } else {
        const rendered = calls.map((call) => formatAssistantCallForText(call)).join('\n');
        history.push({ message: { role: 'assistant', content: [visibleText, rendered].filter(Boolean).join('\n\n') } });
      }

      if (calls.length === 0) {
        if (problems.length > 0) {
          await formatError(step, problems.join(' '));
          history.push({
            message: {
              role: 'user',
              content: formatErrorMessage(problems, specs, {
                // Native-tool models that slip into text usually write JSON calls: show them that shape.
                shape: protocol === 'native' ? 'json' : 'text',
                hint: 'When the task is done, call finish with a short summary.',
              }),
            },
          });
          continue;
        }
        if (turn.finishReason === 'length') {
          await formatError(step, 'The reply was cut off at the output limit.');
          history.push({
            message: {
              role: 'user',
              content: 'Your reply was cut off because it was too long. Write large files in smaller parts (write the first part, then edit to add more), and keep replies short.',
            },
          });
          continue;
        }
        const answer = visibleText.trim();
        if (answer !== '' && (successfulCalls > 0 || !codeBlock.test(answer))) {
          return end(result('succeeded', { code: 'final_answer', message: 'The agent answered without calling a tool.' }, answer));
        }
        await formatError(step, answer === '' ? 'The reply was empty.' : 'The reply showed code but called no tool.');
        history.push({
          message: {
            role: 'user',
            content:
              answer === ''
                ? 'Your reply was empty. Call a tool to work on the task, or call finish with a summary when it is done.'
                : 'You showed code in your reply but did not call a tool, so no file was changed. Call the write tool with the file path and the whole content, or the edit tool. Call finish when everything is done.',
          },
        });
        continue;
      }

      let failedThisTurn = 0;
      for (const call of calls) {
        if (signal.aborted) return end(cancelled());
        toolCalls++;
        callSignatures.push(callSignature(call.name, call.arguments));
        await emit('tool.called', { step, call_id: call.id, name: call.name, arguments: call.arguments, recovered });

        if (call.name === finishToolSpec.name && failedThisTurn > 0) {
          // Small models often send a write and finish together: a failed write is not done.
          const message = 'Not finished: a tool call before finish in the same reply failed (see its error above). Fix that first, then call finish.';
          await emit('tool.result', { step, call_id: call.id, name: call.name, ok: false, output: message, code: 'earlier_call_failed', duration_ms: 0 });
          addToolResult(call, `Error: ${message}`, true);
          continue;
        }
        if (call.name === finishToolSpec.name) {
          const summary = finishSummary(call.arguments) || visibleText.trim();
          await emit('tool.result', { step, call_id: call.id, name: call.name, ok: true, output: 'Finished.', duration_ms: 0 });
          return end(result('succeeded', { code: 'finished', message: 'The agent called finish.' }, summary));
        }

        const started = now();
        const tool = toolsByName.get(call.name);
        if (!tool) {
          const message = `There is no tool named "${call.name}". The tools are: ${specs.map((spec) => spec.name).join(', ')}.`;
          failedThisTurn++;
          await formatError(step, message);
          await emit('tool.result', { step, call_id: call.id, name: call.name, ok: false, output: message, code: 'unknown_tool', duration_ms: 0 });
          addToolResult(call, `Error: ${message}`, true);
          continue;
        }
        try {
          const outcome = await tool.run(call.arguments, { root: options.root, signal, sandbox: options.sandbox });
          for (const file of outcome.filesChanged ?? []) filesChanged.add(file);
          successfulCalls++;
          consecutiveFormatErrors = 0;
          await emit('tool.result', {
            step,
            call_id: call.id,
            name: call.name,
            ok: true,
            output: outcome.output,
            files_changed: outcome.filesChanged,
            metadata: outcome.metadata,
            duration_ms: now() - started,
          });
          addToolResult(call, outcome.output);
        } catch (error) {
          if (signal.aborted) return end(cancelled());
          failedThisTurn++;
          const toolError = error instanceof ToolError ? error : undefined;
          // An edit whose blocks applied in part wrote those files before it failed.
          const partial = toolError?.details?.filesChanged;
          const written = Array.isArray(partial) ? partial.filter((item): item is string => typeof item === 'string') : [];
          for (const file of written) filesChanged.add(file);
          const message = toolError ? toolError.message : `The ${call.name} tool failed: ${error instanceof Error ? error.message : String(error)}`;
          if (toolError?.code === 'invalid_arguments') await formatError(step, message);
          else consecutiveFormatErrors = 0;
          await emit('tool.result', {
            step,
            call_id: call.id,
            name: call.name,
            ok: false,
            output: message,
            code: toolError?.code ?? 'tool_failed',
            ...(written.length ? { files_changed: written } : {}),
            duration_ms: now() - started,
          });
          addToolResult(call, `Error: ${message}`, true);
        }
      }
    }
  } catch (error) {
    if (signal.aborted) return end(cancelled());
    return end(failure(error));
  }

  function failure(error: unknown): AgentResult {
    if (error instanceof LlmError) {
      if (error.code === 'llm_cancelled' && signal.aborted) return cancelled();
      return result('failed', { code: error.code, message: error.message });
    }
    const message = error instanceof Error ? error.message : String(error);
    return result('failed', { code: 'internal_error', message: `The run failed unexpectedly: ${message}` });
  }

  async function callModel(step: number, messages: ChatMessage[]): Promise<Turn> {
    const started = now();
    const turn: Turn = { text: '', calls: [], finishReason: 'other', promptTokens: 0, completionTokens: 0 };
    const retries: string[] = [];
    const reportRetries = async () => {
      while (retries.length > 0) await emit('llm.retry', { step, message: retries.shift()! });
    };
    for await (const event of options.provider.chat({
      model: options.model,
      messages,
      tools: protocol === 'native' ? specs : undefined,
      numCtx,
      maxOutputTokens,
      think: info.thinking ? false : undefined,
      // Ollama unloads an idle model after 5 minutes; a long command between two steps would
      // then cost a reload. Keep it for as long as the run may last.
      keepAlive: `${Math.ceil(options.limits.maxWallMs / 60_000)}m`,
      signal,
      onRetry: (message) => retries.push(message),
    })) {
      await reportRetries();
      switch (event.type) {
        case 'text':
          turn.text += event.text;
          await emit('llm.delta', { step, kind: 'text', text: event.text });
          break;
        case 'reasoning':
          await emit('llm.delta', { step, kind: 'reasoning', text: event.text });
          break;
        case 'tool-call':
          turn.calls.push(event.call);
          break;
        case 'usage':
          turn.promptTokens = event.promptTokens;
          turn.completionTokens = event.completionTokens;
          break;
        case 'finish':
          turn.finishReason = event.reason;
          break;
      }
    }
    await reportRetries();
    await emit('llm.response', {
      step,
      text: turn.text,
      tool_calls: turn.calls.length,
      finish_reason: turn.finishReason,
      prompt_tokens: turn.promptTokens,
      completion_tokens: turn.completionTokens,
      duration_ms: now() - started,
    });
    return turn;
  }
}
