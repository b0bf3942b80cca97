import type { Criterion } from '../acceptance-criteria/criterion.schema.js';
import type { Comment } from '../comments/comment.schema.js';
import type { Task } from '../tasks/task.schema.js';

/** Comments written by wfhub itself (run summaries) are not instructions. */
export const runCommentAuthor = 'wfhub';
/** The newest comments only: old discussion would crowd a small model's window. */
const recentComments = 10;

export interface TaskPromptInput {
  task: Task;
  criteria: readonly Criterion[];
  comments: readonly Comment[];
  subtasks: readonly Task[];
  /** What the user added when triggering. */
  message?: string | null;
}

/** The task as the agent reads it: what to do, how it will be checked, and what people said. */
export function taskPrompt(input: TaskPromptInput): string {
  const { task } = input;
  const sections = [`# Task: ${task.title}`];
  if (task.description?.trim()) sections.push(task.description.trim());
  if (input.criteria.length) {
    sections.push(`## Acceptance criteria (each must hold when you finish)\n${input.criteria.map((criterion) => `- ${criterion.text}`).join('\n')}`);
  }
  if (input.subtasks.length) {
    sections.push(`## Subtasks\n${input.subtasks.map((subtask) => `- [${subtask.status === 'done' ? 'x' : ' '}] ${subtask.title}`).join('\n')}`);
  }
  const comments = input.comments.filter((comment) => comment.author !== runCommentAuthor).slice(-recentComments);
  if (comments.length) {
    sections.push(`## Comments\n${comments.map((comment) => `- ${comment.author}: ${comment.body.trim()}`).join('\n')}`);
  }
  if (input.message?.trim()) sections.push(`## Instructions for this run\n${input.message.trim()}`);
  return sections.join('\n\n');
}
