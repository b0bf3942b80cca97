import type { Config } from '../../config/config.js';
import type { ExchangeObserver } from '../../core/http-exchange.js';
import type { CallTimeouts } from './http-stream.js';
import { OllamaProvider } from './ollama/ollama-provider.js';
import { OpenAiCompatibleProvider } from './openai/openai-provider.js';
import type { LlmProvider } from './provider.js';

type ProviderConfig = Pick<
  Config,
  'llmProvider' | 'ollamaHost' | 'openaiBaseUrl' | 'openaiApiKey' | 'connectTimeout' | 'firstTokenTimeout' | 'idleTimeout' | 'callTimeout'
>;

export function callTimeouts(config: ProviderConfig): CallTimeouts {
  return {
    connectMs: config.connectTimeout * 1000,
    firstTokenMs: config.firstTokenTimeout * 1000,
    idleMs: config.idleTimeout * 1000,
    totalMs: config.callTimeout * 1000,
  };
}

/** The provider `WFHUB_LLM_PROVIDER` names, set up from the configuration. */
export function createProvider(config: ProviderConfig, options: { onRetry?: (message: string) => void; observe?: ExchangeObserver } = {}): LlmProvider {
  const timeouts = callTimeouts(config);
  const { onRetry, observe } = options;
  if (config.llmProvider === 'openai') {
    return new OpenAiCompatibleProvider({ baseUrl: config.openaiBaseUrl, apiKey: config.openaiApiKey, timeouts, onRetry, observe });
  }
  return new OllamaProvider({ baseUrl: config.ollamaHost, timeouts, onRetry, observe });
}
