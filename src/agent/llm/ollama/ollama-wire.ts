import { z } from 'zod';

/**
 * Ollama's native API, limited to the fields wfhub reads, so an upstream addition never breaks
 * it. Shapes from Ollama's docs/api.md and api/types.go.
 */

const toolCall = z.object({
  id: z.string().nullish(),
  function: z.object({ name: z.string(), arguments: z.unknown() }),
});

/** One NDJSON line of a streamed `/api/chat` reply. A failure mid-stream is a line with `error`. */
export const chatLine = z.object({
  message: z
    .object({
      content: z.string().nullish(),
      thinking: z.string().nullish(),
      tool_calls: z.array(toolCall).nullish(),
    })
    .nullish(),
  done: z.boolean().nullish(),
  done_reason: z.string().nullish(),
  prompt_eval_count: z.number().nullish(),
  eval_count: z.number().nullish(),
  error: z.unknown().optional(),
});

export const tagsResponse = z.object({
  models: z
    .array(
      z.object({
        name: z.string(),
        size: z.number().nullish(),
        details: z.object({ parameter_size: z.string().nullish() }).nullish(),
      }),
    )
    .nullish(),
});

export const showResponse = z.object({
  capabilities: z.array(z.string()).nullish(),
  model_info: z.record(z.string(), z.unknown()).nullish(),
});

/** `{"error": "..."}`, the body of every non-2xx answer. */
export const errorBody = z.object({ error: z.unknown() });
