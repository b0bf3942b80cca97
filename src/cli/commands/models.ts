import type { Command } from 'commander';
import { createProvider } from '../../agent/llm/create-provider.js';
import { pullModel, tuneModel } from '../../agent/llm/ollama/ollama-models.js';
import type { Config } from '../../config/config.js';
import { table } from '../format.js';
import { configFrom, type GlobalOptions } from '../options.js';
import { pullProgress } from '../pull-progress.js';
import { print, wholeNumber } from '../run-command.js';

function size(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${Math.round(bytes / 1024 ** 2)} MB`;
}

/** Pulling and tuning go through Ollama's own API: an OpenAI-compatible server has none. */
function requireOllama(config: Config, what: string): void {
  if (config.llmProvider !== 'ollama') {
    throw new Error(`${what} works with Ollama; WFHUB_LLM_PROVIDER=${config.llmProvider} serves models some other way: add them there.`);
  }
}

/** `qwen2.5-coder:3b` with 16384 → `qwen2.5-coder:3b-ctx16384`; an untagged name gets the suffix as its tag. */
export function variantName(model: string, numCtx: number): string {
  return model.includes(':') ? `${model}-ctx${numCtx}` : `${model}:ctx${numCtx}`;
}

/** Ctrl-C stops a pull or a tune (Ollama keeps what it downloaded and goes on next time). */
function interruptible(): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('stopped (Ctrl-C)'));
  process.once('SIGINT', stop);
  return { signal: controller.signal, done: () => process.off('SIGINT', stop) };
}

export function modelsCommand(program: Command) {
  const config = () => configFrom(program.opts<GlobalOptions>());
  const models = program.command('models').description('the models of the model server: list them, pull one, make a variant with a fixed window');

  models
    .command('list', { isDefault: true })
    .description("what the model server has, with wfhub's default and vision models marked")
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const settings = config();
      const found = await createProvider(settings).listModels(AbortSignal.timeout(30_000));
      const mark = (name: string) =>
        [name === settings.model || name === `${settings.model}:latest` ? 'WFHUB_MODEL' : '', name === settings.visionModel || name === `${settings.visionModel}:latest` ? 'WFHUB_VISION_MODEL' : '']
          .filter(Boolean)
          .join(', ');
      print(options.json, found, () => {
        const rows = found.map((model) => [model.name, model.parameterSize ?? '', size(model.sizeBytes), mark(model.name)]);
        const missing = [settings.model, ...(settings.llmProvider === 'ollama' ? [settings.visionModel] : [])].filter(
          (name) => !found.some((model) => model.name === name || model.name === `${name}:latest`),
        );
        const hints = missing.map((name) => `${name} is not there: wfhub models pull ${name}`);
        return [found.length ? table(['NAME', 'PARAMETERS', 'SIZE', 'USED AS'], rows) : 'the model server has no models yet', ...hints].join('\n');
      });
    });

  models
    .command('pull <name>')
    .description('pull a model onto the Ollama server, showing its progress')
    .action(async (name: string) => {
      const settings = config();
      requireOllama(settings, 'wfhub models pull');
      const progress = pullProgress(process.stderr);
      const interrupt = interruptible();
      try {
        await pullModel(settings.ollamaHost, name, { signal: interrupt.signal, onProgress: (update) => progress.update(update) });
      } finally {
        progress.end();
        interrupt.done();
      }
      process.stdout.write(`pulled ${name}\n`);
    });

  models
    .command('tune <name>')
    .description('make a variant of a model with a fixed context window and temperature 0 (Ollama /api/create)')
    .requiredOption('--num-ctx <tokens>', 'the context window, in tokens (2048-1048576)', wholeNumber(2048, 1_048_576))
    .option('--as <variant>', 'the new model\'s name (default: <name>-ctx<tokens>)')
    .action(async (name: string, options: { numCtx: number; as?: string }) => {
      const settings = config();
      requireOllama(settings, 'wfhub models tune');
      const variant = options.as ?? variantName(name, options.numCtx);
      const progress = pullProgress(process.stderr);
      const interrupt = interruptible();
      try {
        await tuneModel(settings.ollamaHost, { model: variant, from: name, numCtx: options.numCtx }, { signal: interrupt.signal, onProgress: (update) => progress.update(update) });
      } finally {
        progress.end();
        interrupt.done();
      }
      process.stdout.write(`made ${variant} from ${name} (num_ctx ${options.numCtx}, temperature 0): use it with WFHUB_MODEL=${variant}\n`);
    });
}
