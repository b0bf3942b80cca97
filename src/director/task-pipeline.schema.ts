import { z } from 'zod';
import { idSchema, label, timestampSchema } from '../core/schema-helpers.js';
import { gateResultSchema } from '../runs/gate-result.schema.js';
import { taskSchema, type Task } from '../tasks/task.schema.js';

export const pipelineStates = ['waiting', 'running', 'passed', 'blocked', 'overridden', 'stopped'] as const;
export type PipelineState = (typeof pipelineStates)[number];

export const taskPipelineSchema = z
  .object({
    task_id: idSchema,
    nodes: z.array(z.string()).describe('The pipeline the task set off with'),
    stage: z.number().int().describe('Index in nodes of the current stage (nodes.length once through)'),
    node: z.string().nullable().describe('The current stage\'s role; null once through'),
    attempt: z.number().int().describe('Rounds through dev so far'),
    max_attempts: z.number().int(),
    state: z
      .enum(pipelineStates)
      .describe('waiting: for its blockers or a run started by hand; running: a stage\'s run is queued or running; passed: every gate passed; blocked: a gate failed too often (see reason); overridden: marked done by a person; stopped: autopilot turned off'),
    run_id: idSchema.nullable().describe("The current stage's run"),
    waiting_for: z.array(idSchema).describe('Blockers not done yet'),
    failure: z
      .object({ node: z.string(), run_id: idSchema, message: z.string(), gates: z.array(gateResultSchema) })
      .nullable()
      .describe('The last gate that failed, until a later run of that role passes'),
    reason: z.string().nullable(),
    override: z.object({ by: z.string(), reason: z.string(), at: timestampSchema }).nullable(),
    started_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'TaskPipeline' });

export const overrideSchema = z
  .strictObject({
    by: label(200).describe('Who decides (a name)'),
    reason: label(4000).describe('Why the task is done although its gates did not pass'),
  })
  .meta({ id: 'PipelineOverride' });

export type TaskPipeline = z.output<typeof taskPipelineSchema>;
export type PipelineOverride = z.output<typeof overrideSchema>;

/** A task as the API answers it: with where it is in its pipeline. */
export const taskViewSchema = taskSchema
  .extend({ pipeline: taskPipelineSchema.nullable().describe('Where the task is in its pipeline; null before autopilot took it') })
  .meta({ id: 'TaskWithPipeline' });

export type TaskView = Task & { pipeline: TaskPipeline | null };
