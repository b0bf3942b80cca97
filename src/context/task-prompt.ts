import type { PromptSection } from '../agent/prompt/prompt-sections.js';
import type { TaskContext } from './task-context.schema.js';
import { oneLine } from '../agent/prompt/one-line.js';

/** Comments written by wfhub itself (run summaries) are not instructions. */
export const runCommentAuthor = 'wfhub';

/** What a vision model saw in an image given with the task. */
export interface ImageNote {
  name: string;
  description: string;
}

export interface TaskPromptExtras {
  /** What the user added when triggering. */
  message?: string | null;
  imageNotes?: readonly ImageNote[];
  /** Commands may reach the network: the agent can call wfhub's API (if it needs no token), so it is told how. */
  network?: boolean;
}

const bullet = (lines: readonly string[]) => lines.map((line) => `- ${line}`).join('\n');
function sizeOf(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * The task as the agent reads it, in sections the prompt builder fits to the model's window:
 * the objective and the acceptance criteria are never dropped; the project's facts, comments,
 * git state and discovery give way first when the window is small.
 */
export function taskPromptSections(context: TaskContext, extras: TaskPromptExtras = {}): PromptSection[] {
  const sections: PromptSection[] = [];
  /** Whether the agent can call this server: commands reach the network and no token is asked. */
  const api = extras.network === true && !context.token_required;
  const add = (section: PromptSection) => {
    if (section.body.trim()) sections.push(section);
  };

  const environment = Object.entries(context.project.environment).map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const project = [`Name: ${context.project.name}`, `Workspace: ${context.project.workspace_path}`];
  add({
    id: 'project',
    title: 'Project (PROJECT_INFO)',
    body: [...project, ...(environment.length ? [`Environment:\n${bullet(environment)}`] : []), `SYSTEM_DOMAIN: ${context.system_domain}`].join('\n'),
    shorter: [project.join('\n')],
    priority: 60,
  });

  const [title, ...description] = context.objective.split('\n');
  add({ id: 'objective', title: '', body: `# Task: ${title}${description.length ? `\n${description.join('\n')}` : ''}`, required: true, prose: true, priority: 100 });

  add({
    id: 'acceptance_criteria',
    title: 'Acceptance criteria (each must hold when you finish)',
    body: bullet(context.acceptance_criteria.map((criterion) => `[${criterion.done ? 'x' : ' '}] ${criterion.text}${criterion.check ? ` (checked by: ${criterion.check})` : ''}`)),
    required: true,
    priority: 100,
  });

  if (extras.imageNotes?.length) {
    add({
      id: 'images',
      title: 'Images (as a vision model describes them)',
      body: extras.imageNotes.map((note) => `### ${note.name}\n${note.description.trim()}`).join('\n\n'),
      shorter: [extras.imageNotes.map((note) => `### ${note.name}\n${oneLine(note.description, 400)}`).join('\n\n')],
      priority: 85,
    });
  }

  const family: string[] = [];
  if (context.parent) family.push(`Part of task ${context.parent.id}: ${context.parent.title} (${context.parent.status})`);
  if (context.subtasks.length) family.push(`Subtasks:\n${context.subtasks.map((subtask) => `- [${subtask.status === 'done' ? 'x' : ' '}] ${subtask.title} (task ${subtask.id}, ${subtask.status})`).join('\n')}`);
  add({ id: 'subtasks', title: 'Related tasks', body: family.join('\n'), priority: 65 });

  add({
    id: 'attachments',
    title: 'Attachments',
    body: bullet(context.attachments.map((file) => `${file.file_name} (${file.content_type}, ${sizeOf(file.size_bytes)})${api ? `: ${context.system_domain}${file.download_url}` : ''}`)),
    priority: 45,
  });

  const discovery = context.discovery;
  if (discovery) {
    const facts: string[] = [];
    if (discovery.languages.length) facts.push(`Languages: ${discovery.languages.slice(0, 5).map((entry) => entry.language).join(', ')}`);
    if (discovery.frameworks.length) facts.push(`Frameworks: ${discovery.frameworks.join(', ')}`);
    if (discovery.commands.length) facts.push(`Commands:\n${bullet(discovery.commands.map((entry) => `${entry.kind}: \`${entry.command}\` (${entry.source})`))}`);
    const readme = discovery.readme ? `${discovery.readme.path} says:\n${discovery.readme.summary}` : '';
    add({ id: 'discovery', title: 'How the project works', body: [...facts, readme].filter(Boolean).join('\n'), shorter: facts.length ? [facts.join('\n')] : [], priority: 45 });
  }

  if (context.git) {
    const state = [`Branch: ${context.git.branch ?? '(detached)'}${context.git.head ? ` at ${context.git.head.slice(0, 12)}` : ''}`];
    if (context.git.dirty.length) state.push(`Uncommitted changes in: ${context.git.dirty.join(', ')}`);
    const commits = context.git.recent_commits.length ? `Recent commits:\n${bullet(context.git.recent_commits.map((commit) => `${commit.sha.slice(0, 8)} ${commit.subject}`))}` : '';
    add({ id: 'git', title: 'Git', body: [...state, commits].filter(Boolean).join('\n'), shorter: [state.join('\n')], priority: 40 });
  }

  add({ id: 'recent_files', title: 'Recently changed files', body: bullet(context.recent_files), priority: 35 });

  const said = context.comments.recent;
  const last = said.at(-1);
  const earlier = said.slice(0, -1);
  add({
    id: 'comments',
    title: 'Earlier comments',
    body: bullet(earlier.map((comment) => `${comment.author}: ${comment.body.trim()}`)),
    shorter: [bullet(earlier.slice(-3).map((comment) => `${comment.author}: ${oneLine(comment.body, 300)}`))],
    priority: 50,
  });
  const previousRun = context.comments.last_run;
  if (previousRun && (!last || previousRun.id > last.id)) {
    // wfhub's record of the last run, written from a model's own summary: information, not instructions.
    add({ id: 'previous_run', title: "The last run of this task (wfhub's record, for information)", body: previousRun.body.trim(), shorter: [oneLine(previousRun.body, 400)], priority: 55 });
  }
  if (last) add({ id: 'last_comment', title: 'Last comment', body: `${last.author}: ${last.body.trim()}`, shorter: [`${last.author}: ${oneLine(last.body, 600)}`], priority: 80 });

  if (api) {
    add({
      id: 'endpoints',
      title: `wfhub's API (SYSTEM_DOMAIN ${context.system_domain})`,
      body: bullet(context.endpoints.map((endpoint) => `${endpoint.method} ${endpoint.path}: ${endpoint.description}`)),
      shorter: [`Read ${context.help_url} for what you may call.`],
      priority: 20,
    });
  }

  if (extras.message?.trim()) add({ id: 'instructions', title: 'Instructions for this run', body: extras.message.trim(), required: true, prose: true, priority: 95 });
  return sections;
}
