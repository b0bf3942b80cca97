import { z } from 'zod';
import { label, text } from '../core/schema-helpers.js';

/** What the pm role answers: the task split into subtasks a developer can finish one at a time. */
export const planSchema = z.strictObject({
  subtasks: z
    .array(
      z.strictObject({
        title: label(500),
        description: text({ max: 20_000 }).optional(),
        acceptance_criteria: z
          .array(
            z.union([
              label(2000),
              z.strictObject({ text: label(2000), check: text({ min: 1, max: 4000 }).nullable().optional() }),
            ]),
          )
          .max(20)
          .optional(),
      }),
    )
    .max(20, 'must hold at most 20 subtasks: split coarser'),
});

export type Plan = z.output<typeof planSchema>;

/** How the pm role is told to answer (small models follow an example best). */
export const planInstructions = [
  'Split the task into the subtasks a developer can finish one at a time, each with acceptance criteria; give a criterion a "check" (a shell command run in the workspace, or a URL) when a command can prove it.',
  'Do not change any file. Finish with a summary that ends with the plan as JSON in a ```json block, exactly in this shape:',
  '```json\n{"subtasks": [{"title": "Add the greeting module", "description": "greeting.js exports the word hello.", "acceptance_criteria": [{"text": "greeting.js says hello", "check": "grep -q hello greeting.js"}, "The README mentions it"]}]}\n```',
  'When the task is small enough to do in one go, answer {"subtasks": []}.',
].join('\n');

/**
 * The plan in a pm run's summary: the last ```json block, or else the outermost braces, checked
 * against the schema. Answers the plan, or what is wrong with it in words a model can act on.
 */
export function readPlan(summary: string): { plan: Plan } | { error: string } {
  const fenced = [...summary.matchAll(/```(?:json)?\s*\n?([\s\S]*?)```/g)].at(-1)?.[1];
  const candidate = fenced ?? (summary.includes('{') ? summary.slice(summary.indexOf('{'), summary.lastIndexOf('}') + 1) : undefined);
  if (!candidate?.trim()) return { error: 'The summary holds no plan: end it with the plan as JSON in a ```json block, {"subtasks": [...]}.' };
  let value: unknown;
  try {
    value = JSON.parse(candidate);
  } catch (error) {
    return { error: `The plan is not valid JSON (${(error as Error).message}): answer it again as JSON in a \`\`\`json block.` };
  }
  const parsed = planSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || 'the plan'}: ${issue.message}`);
    return { error: `The plan does not have the expected shape: ${issues.join('; ')}.` };
  }
  return { plan: parsed.data };
}
