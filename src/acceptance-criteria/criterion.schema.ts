import { z } from 'zod';
import { idSchema, label, text, timestampSchema } from '../core/schema-helpers.js';

const checkDescription =
  'What proves the criterion: a shell command run in the workspace (sandboxed, with a timeout), e.g. "npm test", ' +
  'or an HTTP probe: a URL, or "GET <url>", passing on a 2xx answer. The director\'s qa stage runs it as a gate.';

export const criterionSchema = z
  .object({
    id: idSchema,
    task_id: idSchema,
    text: z.string(),
    done: z.boolean(),
    check: z.string().nullable().describe(checkDescription),
    position: z.number(),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'AcceptanceCriterion' });

const check = text({ min: 1, max: 4000 })
  .nullable()
  .describe(`${checkDescription} null removes it.`);

const checkCommand = text({ min: 1, max: 4000 })
  .nullable()
  .meta({ description: 'Deprecated: the former name of `check`, still accepted. Send `check` instead.', deprecated: true });

/** `check` and its deprecated alias `check_command`: one of them, or both alike. */
function oneCheck(input: { check?: string | null; check_command?: string | null }, context: z.RefinementCtx) {
  if (input.check !== undefined && input.check_command !== undefined && input.check !== input.check_command) {
    context.addIssue({
      code: 'custom',
      path: ['check_command'],
      message: 'differs from check: send one of them (check_command is the deprecated name of check)',
    });
  }
}

/**
 * The parsed body in the table's terms: `check` (or its alias) becomes the column it is stored
 * in, and is left out when neither was sent, so an update keeps what is there.
 */
function toColumns<T extends { check?: string | null; check_command?: string | null }>({ check, check_command, ...rest }: T) {
  const value = check !== undefined ? check : check_command;
  return { ...rest, ...(value !== undefined && { check_command: value }) };
}

export const criterionCreateSchema = z
  .strictObject({
    text: label(2000),
    done: z.boolean().optional(),
    check: check.optional(),
    check_command: checkCommand.optional(),
    position: z.number().optional(),
  })
  .superRefine(oneCheck)
  .transform(toColumns)
  .meta({ id: 'AcceptanceCriterionCreate' });

export const criterionUpdateSchema = z
  .strictObject({
    text: label(2000).optional(),
    done: z.boolean().optional(),
    check: check.optional(),
    check_command: checkCommand.optional(),
    position: z.number().optional(),
  })
  .superRefine(oneCheck)
  .transform(toColumns)
  .meta({ id: 'AcceptanceCriterionUpdate' });

export type Criterion = z.output<typeof criterionSchema>;
export type CriterionCreate = z.output<typeof criterionCreateSchema>;
export type CriterionUpdate = z.output<typeof criterionUpdateSchema>;
