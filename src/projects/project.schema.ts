import { z } from 'zod';
import { idSchema, jsonObject, label, timestampSchema } from '../core/schema-helpers.js';

export const projectSchema = z
  .object({
    id: idSchema,
    name: z.string(),
    workspace_path: z.string().describe('Folder inside the workspaces dir'),
    workspace_dir: z.string().describe('Absolute path of the workspace folder'),
    environment: z.record(z.string(), z.unknown()),
    settings: z.record(z.string(), z.unknown()),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'Project' });

export const projectCreateSchema = z
  .strictObject({
    name: label(200),
    workspace_path: label(500)
      .optional()
      .describe('Folder inside the workspaces dir; created when missing. Defaults to a slug of the name.'),
    environment: jsonObject.optional().describe('Free-form facts about the project given to agents'),
    settings: jsonObject.optional(),
  })
  .meta({ id: 'ProjectCreate' });

export const projectUpdateSchema = z
  .strictObject({
    name: label(200).optional(),
    workspace_path: label(500).optional(),
    environment: jsonObject.optional(),
    settings: jsonObject.optional(),
  })
  .meta({ id: 'ProjectUpdate' });

export type Project = z.output<typeof projectSchema>;
export type ProjectCreate = z.output<typeof projectCreateSchema>;
export type ProjectUpdate = z.output<typeof projectUpdateSchema>;
