import { z } from 'zod';
import { idSchema, label, text, timestampSchema } from '../core/schema-helpers.js';
import { taskStatuses } from '../tasks/task-fields.js';

const trackerKindSchema = z.enum(['asana', 'jira', 'linear', 'github']).describe('asana, jira, linear or github');
const statusSchema = z.enum(taskStatuses);

export const trackerInfoSchema = z
  .object({
    id: trackerKindSchema,
    name: z.string(),
    /** What the tracker calls the thing imported into a wfhub project. */
    project_label: z.string(),
    needs_email: z.boolean(),
    base_url: z.object({ required: z.boolean(), default: z.string().nullable(), hint: z.string() }),
    token_label: z.string(),
    token_help: z.string().describe('Where to make a token, and what it must be allowed'),
  })
  .meta({ id: 'TrackerInfo' });

const baseUrl = z
  .string()
  .trim()
  .max(500)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password && !url.search && !url.hash;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without credentials, query or fragment, such as https://example.atlassian.net');

export const credentialCreateSchema = z
  .strictObject({
    provider: trackerKindSchema,
    token: text({ min: 1, max: 4000 })
      .refine((value) => value.trim() === value && !/\s/.test(value), 'must be the token alone, without spaces or line breaks')
      .describe('The API token (Asana personal access token, Jira API token, Linear API key, GitHub token); never returned'),
    email: z.email('must be an email address').max(320).optional().describe("Jira: the email of the token's Atlassian account"),
    base_url: baseUrl.optional().describe('The API root when not the tracker\'s own: your Jira site, or GitHub Enterprise (https://host/api/v3)'),
    name: label(100).optional().describe('What to call it in lists; defaults to the provider and account'),
  })
  .superRefine((value, context) => {
    if (value.provider === 'jira' && value.email === undefined) context.addIssue({ code: 'custom', path: ['email'], message: "is required for Jira: the email of the token's Atlassian account" });
    if (value.provider === 'jira' && value.base_url === undefined) context.addIssue({ code: 'custom', path: ['base_url'], message: 'is required for Jira: your site, such as https://example.atlassian.net' });
    if (value.provider !== 'jira' && value.email !== undefined) context.addIssue({ code: 'custom', path: ['email'], message: 'is only for Jira; leave it out' });
  })
  .meta({ id: 'TrackerCredentialCreate' });

export const credentialSchema = z
  .object({
    id: idSchema,
    provider: trackerKindSchema,
    name: z.string(),
    account: z.string().describe('Who the token belongs to, as the tracker said when it was checked'),
    base_url: z.string().nullable(),
    email: z.string().nullable(),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'TrackerCredential' });

export const externalProjectSchema = z
  .object({ id: z.string(), name: z.string(), url: z.string().optional() })
  .meta({ id: 'ExternalProject' });

export const mappingCreateSchema = z
  .strictObject({
    credential_id: idSchema,
    external_project_id: label(300).describe('An id from GET /integrations/credentials/{id}/projects'),
    project_id: idSchema.describe('The wfhub project the tasks go into'),
  })
  .meta({ id: 'TrackerMappingCreate' });

export const mappingSchema = z
  .object({
    id: idSchema,
    credential_id: idSchema,
    provider: trackerKindSchema,
    external_project_id: z.string(),
    external_project_name: z.string(),
    project_id: idSchema,
    linked_tasks: z.number().int().describe('wfhub tasks imported through it'),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'TrackerMapping' });

export const externalTaskSchema = z
  .object({
    external_id: z.string(),
    title: z.string(),
    status: statusSchema.describe("The tracker's state, in wfhub's terms"),
    url: z.string(),
    updated_at: z.string().optional(),
    imported: z.boolean(),
    task_id: idSchema.nullable().describe('The wfhub task it was imported as'),
  })
  .meta({ id: 'ExternalTask' });

export const importBodySchema = z
  .strictObject({
    mapping_id: idSchema,
    external_ids: z
      .array(label(300))
      .min(1, 'must name at least one task; leave it out to import them all')
      .max(10_000)
      .optional()
      .describe('The tasks to import (external_id from GET /integrations/{mapping_id}/tasks); all of them when absent'),
  })
  .meta({ id: 'TrackerImport' });

export const importQuerySchema = z.object({
  stream: z.enum(['true', 'false', '1', '0']).optional().describe('true: answer NDJSON progress lines, the last one import.finished'),
});

export const importResultSchema = z
  .object({
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    failed: z.array(z.object({ external_id: z.string(), message: z.string() })).describe('Tasks the tracker would not give; the others were imported'),
  })
  .meta({ id: 'TrackerImportResult' });

export const taskLinkSchema = z
  .object({
    task_id: idSchema,
    mapping_id: idSchema,
    provider: trackerKindSchema,
    external_project_id: z.string(),
    external_id: z.string(),
    url: z.string(),
    attachments: z.array(z.object({ name: z.string(), url: z.string(), size: z.number().optional(), mime_type: z.string().optional() })),
    remote_status: statusSchema.describe('The status the tracker has, as far as wfhub knows'),
    imported_at: timestampSchema,
    synced_at: timestampSchema.nullable(),
    sync: z.object({
      state: z.enum(['synced', 'pending', 'failed']).describe('pending: a status or comment waits to be pushed; failed: the last push failed and will be tried again'),
      error: z.string().nullable(),
      attempts: z.number().int(),
      next_attempt_at: timestampSchema.nullable().describe('When a failed push is tried again; null after a refusal for good (tried again when the task changes, or by POST /tasks/{id}/tracker/sync)'),
    }),
  })
  .meta({ id: 'TaskTrackerLink' });

export type TrackerInfo = z.output<typeof trackerInfoSchema>;
export type CredentialCreate = z.output<typeof credentialCreateSchema>;
export type Credential = z.output<typeof credentialSchema>;
export type MappingCreate = z.output<typeof mappingCreateSchema>;
export type Mapping = z.output<typeof mappingSchema>;
export type ExternalTaskListed = z.output<typeof externalTaskSchema>;
export type ImportBody = z.output<typeof importBodySchema>;
export type ImportResult = z.output<typeof importResultSchema>;
export type TaskLink = z.output<typeof taskLinkSchema>;
/** What a streamed import sends, a line each. */
export type ImportEvent =
  | { type: 'import.progress'; done: number; total: number; external_id: string }
  | { type: 'import.finished'; result: ImportResult }
  | { type: 'error'; error: { code: string; message: string } };
