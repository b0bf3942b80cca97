import { z } from 'zod';

/**
 * The OpenAI chat-completions wire format as vLLM, llama.cpp's server, LM Studio, Ollama's /v1 and
 * OpenAI speak it, limited to the fields wfhub reads.
 */

const toolCallDelta = z.object({
  index: z.number().nullish(),
  id: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});

/** One SSE `data:` frame of a streamed reply. */
export const chunkFrame = z.object({
  choices: z
    .array(
      z.object({
        delta: z
          .object({
            content: z.string().nullish(),
            reasoning: z.string().nullish(),
            reasoning_content: z.string().nullish(),
            tool_calls: z.array(toolCallDelta).nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: z.object({ prompt_tokens: z.number().nullish(), completion_tokens: z.number().nullish() }).nullish(),
  error: z.unknown().optional(),
});

export const modelsResponse = z.object({
  data: z.array(z.object({ id: z.string(), context_length: z.number().nullish(), max_model_len: z.number().nullish() })).nullish(),
});

/** `{"error": {"message": ...}}` (OpenAI) or `{"error": "..."}` (some local servers). */
export const errorBody = z.object({
  error: z.union([z.string(), z.object({ message: z.string().nullish(), code: z.unknown().optional() })]),
});
