import type { ProgressOutput } from './agent-progress.js';

/** A terminal also says how wide it is: a redrawn line must fit on one row to be redrawn. */
export interface ImportProgressOutput extends ProgressOutput {
  readonly columns?: number;
}

export interface ImportProgress {
  /** What happens before the first task is read (the tracker's list being read). */
  start(text: string): void;
  update(done: number, total: number): void;
  /** Ends the progress: a terminal keeps the last state on a line of its own. */
  end(): void;
}

/**
 * An import's progress for a person watching. A terminal gets one line redrawn in place; a pipe
 * or a log gets a line at every tenth of the way (or every `everyMs` when slow), and the last one.
 */
export function importProgress(output: ImportProgressOutput, label: string, options: { now?: () => number; everyMs?: number; redrawMs?: number } = {}): ImportProgress {
  const now = options.now ?? Date.now;
  const everyMs = options.everyMs ?? 10_000;
  const redrawMs = options.redrawMs ?? 80;
  let onScreen = false;
  let shown = '';
  let latest = '';
  let lastAt = Number.NEGATIVE_INFINITY;
  let tenth = -1;
  const draw = (text: string) => {
    const width = output.columns ? output.columns - 1 : Number.POSITIVE_INFINITY;
    const chars = [...text];
    // Cut at the front: the counts at the end are what changes.
    output.write(`\r\x1b[2K${chars.length > width ? `…${chars.slice(chars.length - Math.max(1, width - 1)).join('')}` : text}`);
    onScreen = true;
    shown = text;
    lastAt = now();
  };
  const line = (text: string) => {
    output.write(`${text}\n`);
    shown = text;
    lastAt = now();
  };
  return {
    start(text) {
      latest = `${label}: ${text}`;
      if (output.isTTY) draw(latest);
      else line(latest);
    },
    update(done, total) {
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      latest = `${label}: ${done} of ${total} tasks (${Math.floor(ratio * 100)}%)`;
      if (output.isTTY) {
        if (done >= total || now() - lastAt >= redrawMs) draw(latest);
        return;
      }
      const reached = Math.floor(ratio * 10);
      if (reached > tenth || now() - lastAt >= everyMs) {
        tenth = Math.max(tenth, reached);
        line(latest);
      }
    },
    end() {
      if (output.isTTY) {
        if (latest !== shown) draw(latest);
        if (onScreen) output.write('\n');
        onScreen = false;
      } else if (latest !== shown) {
        line(latest);
      }
    },
  };
}
