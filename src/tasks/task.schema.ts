import { z } from 'zod';
import { criterionCreateSchema } from '../acceptance-criteria/criterion.schema.js';
import { idSchema, label, maxId, pagingQuery, text, timestampSchema } from '../core/schema-helpers.js';
import { taskPriorities, taskStatuses } from './task-fields.js';

export const taskStatusSchema = z.enum(taskStatuses);
export const taskPrioritySchema = z.enum(taskPriorities);

const autopilotDescription = "The director takes the task through its project's pipeline (roles in order, gates checked)";

export const taskSchema = z
  .object({
    id: idSchema,
    project_id: idSchema,
    parent_id: idSchema.nullable(),
    node_id: idSchema.nullable(),
    node_name: z.string().nullable(),
    title: z.string(),
    description: z.string(),
    status: taskStatusSchema,
    priority: taskPrioritySchema,
    position: z.number(),
    autopilot: z.boolean().describe(autopilotDescription),
    blocked_by: z.array(idSchema).describe('Ids of the tasks this one waits for, ascending; they may be in other projects'),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'Task' });

/** The largest `blocked_by` a request may send. */
export const maxBlockers = 100;

const autopilot = z.boolean().optional().describe(autopilotDescription);
const blockedBy = z
  .array(idSchema)
  .max(maxBlockers, `must list at most ${maxBlockers} tasks`)
  .optional()
  .describe(
    'Ids of the tasks this one waits for, of any project (work across repositories); replaces the whole set, [] clears it. ' +
      `At most ${maxBlockers}; duplicates are collapsed. An unknown id is 404, the task itself or a cycle 422 dependency_cycle`,
  );

const nodeName = label(100).describe('Node (role) by name, e.g. "dev"; the alternative to node_id');

export const taskCreateSchema = z
  .strictObject({
    project_id: idSchema,
    title: label(500),
    description: text({ max: 200_000 }).optional(),
    status: taskStatusSchema.optional(),
    priority: taskPrioritySchema.optional(),
    position: z.number().optional().describe('Order on the board; defaults to the end'),
    parent_id: idSchema.nullable().optional().describe('Makes this a subtask of another task of the project'),
    node_id: idSchema.nullable().optional(),
    node: nodeName.optional(),
    acceptance_criteria: z
      .array(z.union([label(2000), criterionCreateSchema]))
      .max(100)
      .optional()
      .describe('Criteria created with the task: strings or {text, check_command}'),
    autopilot,
    blocked_by: blockedBy,
  })
  .meta({ id: 'TaskCreate' });

export const taskUpdateSchema = z
  .strictObject({
    title: label(500).optional(),
    description: text({ max: 200_000 }).optional(),
    status: taskStatusSchema.optional(),
    priority: taskPrioritySchema.optional(),
    position: z.number().optional(),
    parent_id: idSchema.nullable().optional(),
    node_id: idSchema.nullable().optional(),
    node: nodeName.optional(),
    autopilot,
    blocked_by: blockedBy,
  })
  .meta({ id: 'TaskUpdate' });

const idOrNone = z.union([z.literal('none'), z.coerce.number().int().min(1).max(maxId)], {
  error: 'must be a task id or "none"',
});

export const taskListQuerySchema = z.object({
  status: z
    .string()
    .max(200)
    .transform((value, context) => {
      const statuses = value.split(',').map((item) => item.trim()).filter(Boolean);
      for (const status of statuses) {
        if (!(taskStatuses as readonly string[]).includes(status)) {
          context.addIssue({ code: 'custom', message: `unknown status "${status}"; use ${taskStatuses.join(', ')}` });
          return z.NEVER;
        }
      }
      return statuses as (typeof taskStatuses)[number][];
    })
    .optional()
    .describe('One status or several separated by commas'),
  parent: idOrNone.optional().describe('Subtasks of this task id, or "none" for top-level tasks only'),
  node: text({ max: 100 }).optional().describe('Node id or name'),
  q: text({ max: 500 }).optional().describe('Text to find in the title or description'),
  ...pagingQuery,
});

export type Task = z.output<typeof taskSchema>;
export type TaskCreate = z.output<typeof taskCreateSchema>;
export type TaskUpdate = z.output<typeof taskUpdateSchema>;
export type TaskListQuery = z.output<typeof taskListQuerySchema>;
