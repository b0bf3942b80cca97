import type { AgentEvent } from '../agent/loop/agent-events.js';
import type { AgentResult } from '../agent/loop/agent-result.js';
import { plain } from './format.js';

/** Where progress goes: a terminal gets dim model text and colours; a pipe gets plain lines. */
export interface ProgressOutput {
  write(text: string): void;
  readonly isTTY?: boolean;
}

const style = (tty: boolean | undefined) => ({
  dim: (text: string) => (tty ? `\x1b[2m${text}\x1b[22m` : text),
  bold: (text: string) => (tty ? `\x1b[1m${text}\x1b[22m` : text),
  red: (text: string) => (tty ? `\x1b[31m${text}\x1b[39m` : text),
  green: (text: string) => (tty ? `\x1b[32m${text}\x1b[39m` : text),
});

/** Model text and command output are shown as they are, except control characters (see plain). */
const printable = plain;

function count(value: number, noun: string): string {
  return `${value} ${noun}${value === 1 ? '' : 's'}`;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** A tool call in one short line: `write index.html`, `bash npm test`. */
function describeCall(name: string, args: unknown): string {
  if (!args || typeof args !== 'object') return name;
  const record = args as Record<string, unknown>;
  const main = record.path ?? record.command ?? record.pattern ?? record.summary;
  const shown = typeof main === 'string' ? printable(main.replace(/\s+/g, ' ')) : '';
  return shown ? `${name} ${shown.length > 80 ? `${shown.slice(0, 79)}…` : shown}` : name;
}

function firstLine(text: string): string {
  const line = printable(text.trim().split('\n')[0] ?? '');
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}

/**
 * Turns agent events into progress lines for a person watching: each step, the model's text as it
 * streams (dimmed), each tool call and its outcome, and tokens. Small local models are slow, so
 * something visible happens at every stage.
 */
export function progressPrinter(output: ProgressOutput): (event: AgentEvent) => void {
  const { dim, bold, red, green } = style(output.isTTY);
  let midLine = false;
  const line = (text: string) => {
    if (midLine) output.write('\n');
    midLine = false;
    output.write(`${text}\n`);
  };
  return (event) => {
    switch (event.type) {
      case 'run.started':
        line(
          event.executor
            ? bold(`${event.executor}`) + dim(` · model ${event.model}${event.num_ctx ? ` · context ${event.num_ctx} tokens` : ''}`)
            : bold(`${event.model}`) +
                dim(` via ${event.provider} · ${event.protocol === 'native' ? 'native tool calls' : 'text tool protocol'} · context ${event.num_ctx} tokens`),
        );
        break;
      case 'llm.request':
        line(dim(`step ${event.step} · ~${event.estimated_prompt_tokens} prompt tokens${event.collapsed_outputs || event.dropped_messages ? ' (older output trimmed to fit)' : ''}`));
        break;
      case 'llm.delta':
        if (event.kind === 'text') {
          output.write(dim(printable(event.text)));
          midLine = !event.text.endsWith('\n');
        }
        break;
      case 'llm.response':
        line(dim(`  ${event.completion_tokens} tokens in ${seconds(event.duration_ms)}`));
        break;
      case 'llm.retry':
        line(`  ${dim(event.message)}`);
        break;
      case 'tool.called':
        line(`  → ${describeCall(event.name, event.arguments)}${event.recovered ? dim(' (read from the reply text)') : ''}`);
        break;
      case 'tool.result':
        line(event.ok ? `  ${green('✓')} ${dim(firstLine(event.output))}` : `  ${red('✗')} ${firstLine(event.output)}`);
        break;
      case 'run.warning':
        line(`  ${red('!')} ${printable(event.message)}`);
        break;
      case 'run.finished':
      case 'run.failed':
        line('');
        break;
    }
  };
}

/** The closing report: outcome, summary, files, usage. */
export function resultReport(result: AgentResult, tty?: boolean): string {
  const { bold, red, green, dim } = style(tty);
  const usage = result.usage;
  const head =
    result.status === 'succeeded' ? green(bold('Done.')) : result.status === 'cancelled' ? bold('Cancelled.') : red(bold(`Failed: ${result.stop.message}`));
  const lines = [head];
  if (result.summary) lines.push('', printable(result.summary));
  if (result.files_changed.length) lines.push('', `Files changed: ${result.files_changed.join(', ')}`);
  lines.push(
    '',
    dim(
      `${count(usage.steps, 'step')} · ${count(usage.tool_calls, 'tool call')} · ${usage.prompt_tokens} prompt + ${usage.completion_tokens} completion tokens · ${seconds(usage.duration_ms)}`,
    ),
  );
  return lines.join('\n');
}
