import type { TaskStatus } from '../../tasks/task-fields.js';
import { TrackerError } from '../tracker-error.js';
import { TrackerHttp } from '../tracker-http.js';
import type { ExternalAttachment, ExternalComment, ExternalPage, ExternalProject, ExternalTask, ExternalTaskSummary, TrackerProvider } from '../tracker-provider.js';

interface AsanaPage<T> {
  data: T[];
  next_page: { offset: string; path: string; uri: string } | null;
}

interface AsanaTask {
  gid: string;
  name: string;
  completed: boolean;
  permalink_url: string;
  modified_at?: string;
  notes?: string;
  due_on?: string | null;
  tags?: { name: string }[];
  parent?: { gid: string } | null;
  memberships?: { project?: { gid: string }; section?: { gid: string; name: string } | null }[];
}

const summaryFields = 'name,completed,permalink_url,modified_at,memberships.project.gid,memberships.section.name';
const taskFields = `${summaryFields},notes,due_on,tags.name,parent.gid`;

/** Section names that say a state, read as a person names them ("Doing", "In review"). */
const sectionStates: [RegExp, TaskStatus][] = [
  [/\b(in progress|doing|wip|started)\b/i, 'in_progress'],
  [/\breview\b/i, 'review'],
  [/\bblocked\b/i, 'blocked'],
  [/\b(done|complete|completed|finished)\b/i, 'done'],
  [/\b(cancell?ed|won'?t do)\b/i, 'cancelled'],
];

/** Completed is done; otherwise the section the task sits in, in the project asked about, says. */
export function asanaStatus(task: Pick<AsanaTask, 'completed' | 'memberships'>, projectId?: string): TaskStatus {
  if (task.completed) return 'done';
  const membership = task.memberships?.find((item) => !projectId || item.project?.gid === projectId) ?? task.memberships?.[0];
  const name = membership?.section?.name ?? '';
  const state = sectionStates.find(([pattern]) => pattern.test(name))?.[1];
  return state && state !== 'done' ? state : 'todo';
}

/**
 * Asana over its REST API with a personal access token. A project is an Asana project; a task's
 * state is its completed flag and its section. Every list asks for the fields it reads (Asana's
 * lists are compact otherwise) and follows `next_page` to the end.
 */
export class AsanaProvider implements TrackerProvider {
  readonly kind = 'asana' as const;
  private readonly http: TrackerHttp;

  constructor(options: { token: string; baseUrl?: string; http?: Partial<ConstructorParameters<typeof TrackerHttp>[0]> }) {
    this.http = new TrackerHttp({ provider: 'asana', baseUrl: options.baseUrl ?? 'https://app.asana.com/api/1.0', headers: { authorization: `Bearer ${options.token}` }, ...options.http });
  }

  async validate(): Promise<{ account: string }> {
    const { body } = await this.http.request<{ data: { name: string; email?: string } }>('GET', '/users/me');
    return { account: body.data.email ? `${body.data.name} <${body.data.email}>` : body.data.name };
  }

  async listProjects(): Promise<ExternalProject[]> {
    const projects: ExternalProject[] = [];
    for (const workspace of await this.all<{ gid: string; name: string }>('/workspaces', {})) {
      const list = await this.all<{ gid: string; name: string; permalink_url?: string }>('/projects', { workspace: workspace.gid, archived: false, opt_fields: 'name,permalink_url' });
      for (const project of list) projects.push({ id: project.gid, name: project.name, ...(project.permalink_url && { url: project.permalink_url }) });
    }
    return projects;
  }

  async listTasks(projectId: string, cursor?: string): Promise<ExternalPage<ExternalTaskSummary>> {
    const { body } = await this.http.request<AsanaPage<AsanaTask>>('GET', `/projects/${this.gid(projectId)}/tasks`, { query: { limit: 100, opt_fields: summaryFields, offset: cursor } });
    return { items: body.data.map((task) => summary(task, projectId)), ...(body.next_page && { next: body.next_page.offset }) };
  }

  async getTask(projectId: string, externalId: string): Promise<ExternalTask> {
    const gid = this.gid(externalId);
    const { body } = await this.http.request<{ data: AsanaTask }>('GET', `/tasks/${gid}`, { query: { opt_fields: taskFields } });
    const task = body.data;
    const [subtasks, stories, attachments] = await Promise.all([
      this.all<AsanaTask>(`/tasks/${gid}/subtasks`, { opt_fields: summaryFields }),
      this.all<{ gid: string; resource_subtype: string; text: string; created_at: string; created_by?: { name: string } | null }>(`/tasks/${gid}/stories`, { opt_fields: 'resource_subtype,text,created_at,created_by.name' }),
      this.all<{ gid: string; name: string; download_url?: string | null; permanent_url?: string | null; view_url?: string | null; size?: number }>('/attachments', { parent: gid, opt_fields: 'name,download_url,permanent_url,view_url,size' }),
    ]);
    const comments: ExternalComment[] = stories
      .filter((story) => story.resource_subtype === 'comment_added')
      .map((story) => ({ external_id: story.gid, ...(story.created_by && { author: story.created_by.name }), body: story.text, created_at: story.created_at }));
    // A download URL lasts minutes; the permanent one is what a link should keep.
    const files: ExternalAttachment[] = attachments.flatMap((file) => {
      const url = file.permanent_url ?? file.view_url ?? file.download_url;
      return url ? [{ name: file.name, url, ...(file.size !== undefined && { size: file.size }) }] : [];
    });
    return {
      ...summary(task, projectId),
      description: task.notes ?? '',
      ...(task.due_on && { due_date: task.due_on }),
      labels: (task.tags ?? []).map((tag) => tag.name),
      ...(task.parent && { parent_external_id: task.parent.gid }),
      subtasks: subtasks.map((subtask) => summary(subtask, projectId)),
      comments,
      attachments: files,
    };
  }

  async updateStatus(projectId: string, externalId: string, status: TaskStatus): Promise<{ status: TaskStatus }> {
    const gid = this.gid(externalId);
    const { body } = await this.http.request<{ data: AsanaTask }>('GET', `/tasks/${gid}`, { query: { opt_fields: summaryFields } });
    const completed = status === 'done';
    if (body.data.completed !== completed) await this.http.request('PUT', `/tasks/${gid}`, { body: { data: { completed } } });
    if (completed) return { status: 'done' };
    // Not done: the section named for the state, when the task is in the project (a subtask
    // usually is not, and adding it there would change the project) and the project has one.
    const membership = body.data.memberships?.find((item) => item.project?.gid === projectId);
    if (!membership) return { status: asanaStatus({ ...body.data, completed }, projectId) };
    const sections = await this.all<{ gid: string; name: string }>(`/projects/${this.gid(projectId)}/sections`, {});
    const wanted = status === 'todo' ? sections.find((section) => /\b(to ?do|backlog|new)\b/i.test(section.name)) : sections.find((section) => sectionStates.some(([pattern, state]) => state === status && pattern.test(section.name)));
    if (wanted && wanted.gid !== membership.section?.gid) await this.http.request('POST', `/sections/${wanted.gid}/addTask`, { body: { data: { task: gid } } });
    const section = wanted ?? membership.section;
    return { status: asanaStatus({ completed, memberships: [{ ...membership, section: section ? { gid: section.gid, name: section.name } : null }] }, projectId) };
  }

  async addComment(_projectId: string, externalId: string, markdown: string): Promise<{ external_id: string }> {
    const { body } = await this.http.request<{ data: { gid: string } }>('POST', `/tasks/${this.gid(externalId)}/stories`, { body: { data: { text: markdown } } });
    return { external_id: body.data.gid };
  }

  /** Every page of a list. */
  private async all<T>(path: string, query: Record<string, string | number | boolean>): Promise<T[]> {
    const items: T[] = [];
    let offset: string | undefined;
    do {
      const { body } = await this.http.request<AsanaPage<T>>('GET', path, { query: { limit: 100, ...query, offset } });
      items.push(...body.data);
      offset = body.next_page?.offset;
    } while (offset);
    return items;
  }

  private gid(value: string): string {
    if (!/^\d+$/.test(value)) throw new TrackerError('tracker_rejected', `"${value}" is not an Asana id (its gid, digits only).`, { provider: 'asana' });
    return value;
  }
}

function summary(task: AsanaTask, projectId: string): ExternalTaskSummary {
  return { external_id: task.gid, title: task.name, status: asanaStatus(task, projectId), url: task.permalink_url, ...(task.modified_at && { updated_at: task.modified_at }) };
}
