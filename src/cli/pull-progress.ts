import type { ModelProgress } from '../agent/llm/ollama/ollama-models.js';
import type { ProgressOutput } from './agent-progress.js';
import { plain } from './format.js';

function size(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(0)} MB`;
  return `${Math.round(bytes / 1024)} KB`;
}

/**
 * A pull's progress for a person watching: a terminal gets one line redrawn, with a bar; a pipe
 * or a log gets each new status, and each tenth of a layer's download.
 */
export function pullProgress(output: ProgressOutput): { update(progress: ModelProgress): void; end(): void } {
  let onScreen = false;
  let lastStatus = '';
  let lastTenth = -1;
  return {
    update(progress) {
      const status = plain(progress.status);
      const fraction = progress.total ? Math.min(1, (progress.completed ?? 0) / progress.total) : undefined;
      if (output.isTTY) {
        const bar = fraction === undefined ? '' : ` [${'#'.repeat(Math.round(fraction * 20)).padEnd(20, '.')}] ${Math.round(fraction * 100)}% of ${size(progress.total!)}`;
        output.write(`\r\x1b[2K${status.slice(0, 60)}${bar}`);
        onScreen = true;
        return;
      }
      const tenth = fraction === undefined ? -1 : Math.floor(fraction * 10);
      if (status !== lastStatus) {
        lastStatus = status;
        lastTenth = tenth;
        output.write(`${status}${fraction === undefined ? '' : ` ${Math.round(fraction * 100)}% of ${size(progress.total!)}`}\n`);
      } else if (tenth > lastTenth) {
        lastTenth = tenth;
        output.write(`${status} ${tenth * 10}% of ${size(progress.total!)}\n`);
      }
    },
    end() {
      if (onScreen) output.write('\n');
      onScreen = false;
    },
  };
}
