import { z } from 'zod';
import { idSchema, label, text, timestampSchema } from '../core/schema-helpers.js';

export const criterionSchema = z
  .object({
    id: idSchema,
    task_id: idSchema,
    text: z.string(),
    done: z.boolean(),
    check_command: z.string().nullable(),
    position: z.number(),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'AcceptanceCriterion' });

const checkCommand = text({ min: 1, max: 4000 })
  .nullable()
  .describe('A shell command, run in the workspace, whose success proves the criterion');

export const criterionCreateSchema = z
  .strictObject({
    text: label(2000),
    done: z.boolean().optional(),
    check_command: checkCommand.optional(),
    position: z.number().optional(),
  })
  .meta({ id: 'AcceptanceCriterionCreate' });

export const criterionUpdateSchema = z
  .strictObject({
    text: label(2000).optional(),
    done: z.boolean().optional(),
    check_command: checkCommand.optional(),
    position: z.number().optional(),
  })
  .meta({ id: 'AcceptanceCriterionUpdate' });

export type Criterion = z.output<typeof criterionSchema>;
export type CriterionCreate = z.output<typeof criterionCreateSchema>;
export type CriterionUpdate = z.output<typeof criterionUpdateSchema>;
