import { z } from 'zod';
import { idSchema, jsonObject, label, maxRunMinutes, timestampSchema } from '../core/schema-helpers.js';
import { executorNames } from '../executors/executor.schema.js';

/** How a project's runs use its workspace. */
export const isolationModes = ['in-place', 'worktree'] as const;
export type IsolationMode = (typeof isolationModes)[number];

/** A git branch name git would take (`git check-ref-format --branch`), checked without git. */
const branchName = label(200).refine(
  (value) =>
    !/[\s~^:?*[\\\x00-\x1f\x7f]|\.\.|@\{|\/\/|^[-/.]|[/.]$|\.lock$|\/\.|^@$/.test(value),
  'must be a git branch name such as "main" or "release/1.2"',
);

/**
 * A repository git can clone: a URL (https, http, ssh, git, file), scp-like `user@host:path`, or an
 * absolute path. Never an option (`-u...`) nor a transport helper (`ext::`), which run commands.
 */
const gitRemote = label(2000).refine(
  (value) =>
    !value.startsWith('-') &&
    !value.includes('::') &&
    (/^(https?|ssh|git|file):\/\/[^\s]+$/i.test(value) || /^[\w.-]+@[\w.-]+:[^\s]+$/.test(value) || /^\/[^\0]*$/.test(value)),
  'must be a repository URL (https://, ssh://, git://, file://), user@host:path, or an absolute path',
);

/**
 * The settings wfhub reads, checked when they are written; other keys are kept as they are, for
 * the user's own use.
 */
const settingsShape = {
  model: label(200).nullish().describe('The model for runs in this project, unless the role or the trigger names one'),
  executor: z
    .enum(executorNames)
    .nullish()
    .describe("Who does the work in this project's runs, unless the role or the trigger says: builtin (wfhub's agent, the default), aider, claude, codex, opencode or gemini"),
  auto_commit: z.boolean().nullish().describe("Commit a successful run's changes (default true)"),
  allow_network: z.boolean().nullish().describe("Let the agent's commands reach the network (default false)"),
  max_steps: z.number().int().min(1).max(10_000).nullish().describe('Model calls per run'),
  max_run_minutes: z.number().positive().max(maxRunMinutes).nullish().describe('Wall time per run, in minutes (at most a day)'),
  token_budget: z.number().int().min(1).max(1_000_000_000).nullish().describe('Prompt plus completion tokens per run'),
  isolation: z
    .enum(isolationModes)
    .nullish()
    .describe('in-place (default without a git_remote): runs work in the workspace itself, one at a time; worktree (default with one): each task on its own branch wfhub/task-<id> in a git worktree, tasks in parallel, merged with POST /tasks/{id}/merge'),
  base_branch: branchName.nullish().describe("The branch task branches start from and merge into (default: the workspace's current branch)"),
  git_remote: gitRemote
    .nullish()
    .describe('A repository to clone (https://, ssh://, git@host:path, or a path every worker can reach): workers that cannot see the workspace folder clone it, work on the task branch and push it back'),
};

const remoteNeedsBranches = {
  check: (settings: { git_remote?: string | null; isolation?: string | null }) => !(settings.git_remote && settings.isolation === 'in-place'),
  message: 'a project with a git_remote works on task branches: leave isolation out, or set it to "worktree"',
};

/**
 * The settings wfhub reads, checked when they are written: a key it does not know is refused
 * (a typo would otherwise be kept and silently do nothing). In a PATCH, a key set to null is
 * removed.
 */
const settingNames = Object.keys(settingsShape);

export const projectSettingsSchema = z
  .object(settingsShape)
  .catchall(z.unknown())
  .superRefine((settings, context) => {
    for (const [key, value] of Object.entries(settings)) {
      if (settingNames.includes(key) || value === null) continue;
      context.addIssue({
        code: 'custom',
        path: [key],
        message: `is not a setting wfhub knows (they are ${settingNames.join(', ')}); to remove a key, set it to null`,
      });
    }
  })
  .refine(remoteNeedsBranches.check, { message: remoteNeedsBranches.message, path: ['isolation'] })
  .meta({ id: 'ProjectSettings' });

/** Settings as stored (ones written before a key was known are ignored, not refused). */
export const storedProjectSettingsSchema = z
  .object(settingsShape)
  .refine(remoteNeedsBranches.check, { message: remoteNeedsBranches.message, path: ['isolation'] });

export type ProjectSettings = z.output<typeof projectSettingsSchema>;

export const projectSchema = z
  .object({
    id: idSchema,
    name: z.string(),
    workspace_path: z.string().describe('Folder inside the workspaces dir'),
    workspace_dir: z.string().describe('Absolute path of the workspace folder'),
    environment: z.record(z.string(), z.unknown()),
    settings: z.record(z.string(), z.unknown()),
    workspaces_id: z.string().nullable().describe('The workspaces dir that holds the folder: runs go to the workers that serve it'),
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
    settings: projectSettingsSchema.optional(),
  })
  .meta({ id: 'ProjectCreate' });

export const projectUpdateSchema = z
  .strictObject({
    name: label(200).optional(),
    workspace_path: label(500).optional(),
    environment: jsonObject.optional().describe('Replaces the environment as a whole'),
    settings: projectSettingsSchema.optional().describe('Merged into the settings: the keys given replace theirs, a key set to null is removed'),
  })
  .meta({ id: 'ProjectUpdate' });

export type Project = z.output<typeof projectSchema>;
export type ProjectCreate = z.output<typeof projectCreateSchema>;
export type ProjectUpdate = z.output<typeof projectUpdateSchema>;
