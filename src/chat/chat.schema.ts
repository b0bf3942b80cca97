import { z } from 'zod';
import { base64ImageKind } from '../agent/image-kind.js';
import { idSchema, label, text, timestampSchema } from '../core/schema-helpers.js';

export const chatImageSchema = z.object({ name: z.string(), description: z.string(), model: z.string() });

export const chatMessageSchema = z
  .object({
    id: idSchema,
    conversation_id: idSchema,
    role: z.enum(['user', 'assistant']),
    content: z.string(),
    images: z.array(chatImageSchema).describe("The user's images as the vision model described them"),
    status: z.string().nullable().describe("How the agent's turn ended (succeeded, failed, cancelled)"),
    model: z.string().nullable(),
    files_changed: z.array(z.string()),
    usage: z.record(z.string(), z.number()).nullable(),
    created_at: timestampSchema,
  })
  .meta({ id: 'ChatMessage' });

export const conversationSchema = z
  .object({
    id: idSchema,
    project_id: idSchema,
    title: z.string(),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'Conversation' });

export const conversationWithMessagesSchema = conversationSchema.extend({ messages: z.array(chatMessageSchema) }).meta({ id: 'ConversationWithMessages' });

/** The most a chat request may weigh, its images included (the route's body limit). */
export const chatBodyLimitBytes = 32 * 1024 * 1024;

/** The most images one chat message takes, and the most bytes of each (16 MB of base64). */
export const maxChatImages = 8;
export const maxChatImageBytes = 12_000_000;

/** An image sent with a chat message: base64, or a data URL as a browser makes it. */
const imageData = z
  .string()
  .min(1)
  .max(16_000_000, 'must be at most 16 MB of base64, about 12 MB of image (scale it down first: 1024 px is plenty)')
  .transform((value) => value.replace(/^data:image\/[\w.+-]+;base64,/, ''))
  .superRefine((value, context) => {
    if (!/^[A-Za-z0-9+/\s]+={0,2}$/.test(value)) context.addIssue({ code: 'custom', message: 'must be base64 (or a data:image/...;base64 URL)' });
    else if (!base64ImageKind(value)) {
      context.addIssue({ code: 'custom', message: 'must be a PNG, JPEG, WebP or GIF image (its first bytes are not one of these)' });
    }
  });

export const chatRequestSchema = z
  .strictObject({
    message: text({ min: 1, max: 100_000 }).describe('What to ask or tell the agent'),
    conversation_id: idSchema.optional().describe('Continue this conversation; a new one starts when absent'),
    images: z.array(imageData).max(maxChatImages).optional().describe('Up to 8 images (base64 or data URLs; 32 MiB for the whole request) for the vision model to describe'),
    model: label(200).optional().describe("The working model; the project's or the default when absent"),
    vision_model: label(200).optional().describe('The vision model (WFHUB_VISION_MODEL, or one of WFHUB_VISION_MODELS)'),
    node: z.union([label(100), idSchema]).optional().describe('A role whose directive the agent follows'),
  })
  .meta({ id: 'ChatRequest' });

export type ChatRequest = z.output<typeof chatRequestSchema>;
export type ChatMessage = z.output<typeof chatMessageSchema>;
export type Conversation = z.output<typeof conversationSchema>;

export const chatQuerySchema = z.strictObject({
  stream: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((value) => value !== 'false' && value !== '0')
    .describe('false: one JSON answer when the agent is done, instead of NDJSON events as they happen'),
});

export const chatReplySchema = z
  .object({
    conversation_id: idSchema,
    message: chatMessageSchema.describe("The agent's answer"),
    warnings: z
      .array(z.object({ code: z.string(), message: z.string() }))
      .describe('What went less well than asked: an image not described, a prompt too large for its window, images the model cannot see'),
    trimmed: z.array(z.string()).describe('The prompt sections shortened or dropped to fit the window (as in a prompt preview): the conversation first'),
  })
  .meta({ id: 'ChatReply' });
