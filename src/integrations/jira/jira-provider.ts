import { markdownToAdf } from 'marklassian';
import type { TaskPriority, TaskStatus } from '../../tasks/task-fields.js';
import { TrackerError } from '../tracker-error.js';
import { TrackerHttp } from '../tracker-http.js';
import type { ExternalComment, ExternalPage, ExternalProject, ExternalTask, ExternalTaskSummary, TrackerProvider } from '../tracker-provider.js';
import { adfToMarkdown, type AdfNode } from './adf-to-markdown.js';

interface JiraStatus {
  name: string;
  statusCategory: { key: string };
}

interface JiraIssue {
  id: string;
  key: string;
  fields: {
    summary: string;
    status: JiraStatus;
    updated?: string;
    description?: AdfNode | null;
    duedate?: string | null;
    labels?: string[];
    priority?: { name: string } | null;
    parent?: { id: string; key: string } | null;
    subtasks?: { id: string; key: string; fields: { summary: string; status: JiraStatus } }[];
    attachment?: { filename: string; size: number; mimeType: string; content: string }[];
  };
}

const listFields = 'summary,status,updated';
const taskFields = 'summary,status,updated,description,duedate,labels,priority,parent,subtasks,attachment';

/** A status by its category (names differ per project); one named for review is review. */
export function jiraStatus(status: JiraStatus): TaskStatus {
  if (status.statusCategory.key === 'done') return /cancel|won'?t|reject|declin/i.test(status.name) ? 'cancelled' : 'done';
  if (status.statusCategory.key === 'indeterminate') return /review/i.test(status.name) ? 'review' : /block/i.test(status.name) ? 'blocked' : 'in_progress';
  return 'todo';
}

const priorities: Record<string, TaskPriority> = { highest: 'urgent', high: 'high', medium: 'medium', low: 'low', lowest: 'low' };

/**
 * Jira Cloud over REST v3 with an email and an API token, on any site. A project is a Jira
 * project (by key); issues are searched with `search/jql` by page token; rich text (ADF) is read
 * as markdown and comments are written as ADF.
 */
export class JiraProvider implements TrackerProvider {
  readonly kind = 'jira' as const;
  private readonly http: TrackerHttp;
  private readonly site: string;

  constructor(options: { email: string; token: string; baseUrl: string; http?: Partial<ConstructorParameters<typeof TrackerHttp>[0]> }) {
    this.site = options.baseUrl.replace(/\/+$/, '');
    this.http = new TrackerHttp({ provider: 'jira', baseUrl: this.site, headers: { authorization: `Basic ${Buffer.from(`${options.email}:${options.token}`).toString('base64')}` }, ...options.http });
  }

  async validate(): Promise<{ account: string }> {
    const { body } = await this.http.request<{ displayName: string; emailAddress?: string }>('GET', '/rest/api/3/myself');
    return { account: body.emailAddress ? `${body.displayName} <${body.emailAddress}>` : body.displayName };
  }

  async listProjects(): Promise<ExternalProject[]> {
    const projects: ExternalProject[] = [];
    for (let startAt = 0; ; ) {
      const { body } = await this.http.request<{ values: { id: string; key: string; name: string }[]; isLast: boolean }>('GET', '/rest/api/3/project/search', { query: { startAt, maxResults: 50 } });
      for (const project of body.values) projects.push({ id: project.key, name: `${project.name} (${project.key})`, url: `${this.site}/browse/${project.key}` });
      if (body.isLast || body.values.length === 0) return projects;
      startAt += body.values.length;
    }
  }

  async listTasks(projectId: string, cursor?: string): Promise<ExternalPage<ExternalTaskSummary>> {
    const { body } = await this.http.request<{ issues: JiraIssue[]; nextPageToken?: string; isLast?: boolean }>('GET', '/rest/api/3/search/jql', {
      query: { jql: `project = "${this.projectKey(projectId)}" ORDER BY created ASC`, fields: listFields, maxResults: 50, nextPageToken: cursor },
    });
    return { items: body.issues.map((issue) => this.summary(issue)), ...(body.nextPageToken && !body.isLast && { next: body.nextPageToken }) };
  }

  async getTask(_projectId: string, externalId: string): Promise<ExternalTask> {
    const key = this.issueKey(externalId);
    const { body: issue } = await this.http.request<JiraIssue>('GET', `/rest/api/3/issue/${key}`, { query: { fields: taskFields } });
    const comments: ExternalComment[] = [];
    for (let startAt = 0; ; ) {
      const { body } = await this.http.request<{ comments: { id: string; author?: { displayName: string }; body: AdfNode; created: string }[]; total: number }>('GET', `/rest/api/3/issue/${key}/comment`, { query: { startAt, maxResults: 100 } });
      for (const comment of body.comments) comments.push({ external_id: comment.id, ...(comment.author && { author: comment.author.displayName }), body: adfToMarkdown(comment.body), created_at: comment.created });
      startAt += body.comments.length;
      if (body.comments.length === 0 || startAt >= body.total) break;
    }
    const { fields } = issue;
    return {
      ...this.summary(issue),
      description: adfToMarkdown(fields.description),
      ...(fields.priority && { priority: priorities[fields.priority.name.toLowerCase()] ?? 'medium' }),
      ...(fields.duedate && { due_date: fields.duedate }),
      labels: fields.labels ?? [],
      ...(fields.parent && { parent_external_id: fields.parent.key }),
      subtasks: (fields.subtasks ?? []).map((subtask) => this.summary(subtask)),
      comments,
      attachments: (fields.attachment ?? []).map((file) => ({ name: file.filename, url: file.content, size: file.size, mime_type: file.mimeType })),
    };
  }

  async updateStatus(_projectId: string, externalId: string, status: TaskStatus): Promise<{ status: TaskStatus }> {
    const key = this.issueKey(externalId);
    const { body: issue } = await this.http.request<JiraIssue>('GET', `/rest/api/3/issue/${key}`, { query: { fields: 'status' } });
    const now = issue.fields.status;
    if (jiraStatus(now) === status) return { status };
    const { body } = await this.http.request<{ transitions: { id: string; name: string; to: JiraStatus }[] }>('GET', `/rest/api/3/issue/${key}/transitions`);
    // The transition to a status of the same meaning; else, when the issue is not in the same
    // category already (In Progress stands for review too), one to that category.
    const category = status === 'done' || status === 'cancelled' ? 'done' : status === 'todo' ? 'new' : 'indeterminate';
    const exact = body.transitions.find((item) => jiraStatus(item.to) === status);
    if (!exact && now.statusCategory.key === category) return { status: jiraStatus(now) };
    const transition = exact ?? body.transitions.find((item) => item.to.statusCategory.key === category);
    if (!transition) throw new TrackerError('tracker_rejected', `Jira offers no transition of ${key} to a "${status}" status (its workflow allows: ${body.transitions.map((item) => item.to.name).join(', ') || 'none'}).`, { provider: 'jira' });
    await this.http.request('POST', `/rest/api/3/issue/${key}/transitions`, { body: { transition: { id: transition.id } } });
    return { status: jiraStatus(transition.to) };
  }

  async addComment(_projectId: string, externalId: string, markdown: string): Promise<{ external_id: string }> {
    const { body } = await this.http.request<{ id: string }>('POST', `/rest/api/3/issue/${this.issueKey(externalId)}/comment`, { body: { body: markdownToAdf(markdown) } });
    return { external_id: String(body.id) };
  }

  private summary(issue: Pick<JiraIssue, 'key'> & { fields: Pick<JiraIssue['fields'], 'summary' | 'status' | 'updated'> }): ExternalTaskSummary {
    return { external_id: issue.key, title: `${issue.key} ${issue.fields.summary}`, status: jiraStatus(issue.fields.status), url: `${this.site}/browse/${issue.key}`, ...(issue.fields.updated && { updated_at: issue.fields.updated }) };
  }

  private projectKey(value: string): string {
    if (!/^[A-Z][A-Z0-9_]{0,9}$/.test(value)) throw new TrackerError('tracker_rejected', `"${value}" is not a Jira project key (such as ENG).`, { provider: 'jira' });
    return value;
  }

  private issueKey(value: string): string {
    if (!/^[A-Z][A-Z0-9_]{0,9}-\d+$/.test(value)) throw new TrackerError('tracker_rejected', `"${value}" is not a Jira issue key (such as ENG-12).`, { provider: 'jira' });
    return value;
  }
}
