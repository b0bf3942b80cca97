import type { TaskPriority, TaskStatus } from '../../tasks/task-fields.js';
import { TrackerError, type TrackerErrorCode } from '../tracker-error.js';
import { TrackerHttp } from '../tracker-http.js';
import type { ExternalComment, ExternalPage, ExternalProject, ExternalTask, ExternalTaskSummary, TrackerProvider } from '../tracker-provider.js';

interface GraphqlError {
  message: string;
  extensions?: { type?: string; code?: string; userPresentableMessage?: string };
}

interface Connection<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

interface LinearState {
  id: string;
  name: string;
  type: string;
}

interface LinearIssue {
  id: string;
  identifier: string;
  title: string;
  url: string;
  updatedAt: string;
  state: LinearState;
}

const issueFields = 'id identifier title url updatedAt state { id name type }';

const errorsOf = (body: unknown): GraphqlError[] => ((body as { errors?: GraphqlError[] } | undefined)?.errors ?? []).filter((error) => typeof error?.message === 'string');

/** Linear's error type (extensions.type or code) as a TrackerError code. */
function errorCode(error: GraphqlError): TrackerErrorCode {
  const type = `${error.extensions?.type ?? ''} ${error.extensions?.code ?? ''}`.toLowerCase();
  if (/authentication|unauthenticated|forbidden/.test(type)) return 'tracker_unauthorized';
  if (/not ?found/i.test(`${type} ${error.message}`)) return 'tracker_not_found';
  return 'tracker_rejected';
}

const isRateLimit = (error: GraphqlError) => /rate ?limit/i.test(`${error.extensions?.type ?? ''} ${error.extensions?.code ?? ''}`);

/** A workflow state's type, in wfhub's terms; a started state named for review is review. */
export function linearStatus(state: Pick<LinearState, 'name' | 'type'>): TaskStatus {
  switch (state.type) {
    case 'started':
      return /review/i.test(state.name) ? 'review' : 'in_progress';
    case 'completed':
      return 'done';
    case 'canceled':
    case 'duplicate':
      return 'cancelled';
    default:
      return 'todo';
  }
}

const priorities: Record<number, TaskPriority> = { 0: 'none', 1: 'urgent', 2: 'high', 3: 'medium', 4: 'low' };

/**
 * Linear over its GraphQL API with a personal API key. A project is a team; a task's state is its
 * workflow state, read by type (names differ per team). Errors arrive in the body, often with
 * HTTP 200, and are read there.
 */
export class LinearProvider implements TrackerProvider {
  readonly kind = 'linear' as const;
  private readonly http: TrackerHttp;

  constructor(options: { token: string; baseUrl?: string; http?: Partial<ConstructorParameters<typeof TrackerHttp>[0]> }) {
    this.http = new TrackerHttp({
      provider: 'linear',
      baseUrl: options.baseUrl ?? 'https://api.linear.app',
      // A personal key goes as it is; an OAuth token would carry "Bearer".
      headers: { authorization: options.token },
      rateLimited: (_status, body) => errorsOf(body).some(isRateLimit),
      // A 400 carries Linear's own error type: an authentication error is a refused key.
      classify: (_status, body) => {
        const first = errorsOf(body)[0];
        return first && errorCode(first);
      },
      ...options.http,
    });
  }

  async validate(): Promise<{ account: string }> {
    const data = await this.query<{ viewer: { name: string; email: string; organization: { name: string } } }>('query { viewer { id name email organization { id name } } }');
    return { account: `${data.viewer.name} <${data.viewer.email}> (${data.viewer.organization.name})` };
  }

  async listProjects(): Promise<ExternalProject[]> {
    const teams: ExternalProject[] = [];
    let after: string | null = null;
    do {
      const data: { teams: Connection<{ id: string; key: string; name: string }> } = await this.query('query Teams($after: String) { teams(first: 50, after: $after) { nodes { id key name } pageInfo { hasNextPage endCursor } } }', { after });
      for (const team of data.teams.nodes) teams.push({ id: team.id, name: `${team.name} (${team.key})` });
      after = data.teams.pageInfo.hasNextPage ? data.teams.pageInfo.endCursor : null;
    } while (after);
    return teams;
  }

  async listTasks(projectId: string, cursor?: string): Promise<ExternalPage<ExternalTaskSummary>> {
    const data = await this.query<{ team: { issues: Connection<LinearIssue> } | null }>(
      `query Issues($team: String!, $after: String) { team(id: $team) { issues(first: 50, after: $after, orderBy: createdAt) { nodes { ${issueFields} } pageInfo { hasNextPage endCursor } } } }`,
      { team: projectId, after: cursor ?? null },
    );
    if (!data.team) throw new TrackerError('tracker_not_found', `Linear has no team ${projectId}, or the key cannot see it.`, { provider: 'linear' });
    const { nodes, pageInfo } = data.team.issues;
    return { items: nodes.map(summary), ...(pageInfo.hasNextPage && pageInfo.endCursor && { next: pageInfo.endCursor }) };
  }

  async getTask(_projectId: string, externalId: string): Promise<ExternalTask> {
    type Full = LinearIssue & {
      description: string | null;
      priority: number;
      dueDate: string | null;
      labels: { nodes: { name: string }[] };
      parent: { id: string } | null;
      children: Connection<LinearIssue>;
      attachments: { nodes: { title: string; url: string }[] };
    };
    const data = await this.query<{ issue: Full }>(
      `query Issue($id: String!) { issue(id: $id) { ${issueFields} description priority dueDate labels { nodes { name } } parent { id } children(first: 100) { nodes { ${issueFields} } pageInfo { hasNextPage endCursor } } attachments(first: 50) { nodes { title url } } } }`,
      { id: externalId },
    );
    const issue = data.issue;
    // Sub-issues past the first page.
    const children = [...issue.children.nodes];
    for (let next = issue.children.pageInfo; next.hasNextPage && next.endCursor; ) {
      const page: { issue: { children: Connection<LinearIssue> } } = await this.query(`query Children($id: String!, $after: String) { issue(id: $id) { children(first: 100, after: $after) { nodes { ${issueFields} } pageInfo { hasNextPage endCursor } } } }`, { id: externalId, after: next.endCursor });
      children.push(...page.issue.children.nodes);
      next = page.issue.children.pageInfo;
    }
    const comments: ExternalComment[] = [];
    let after: string | null = null;
    do {
      const page: { issue: { comments: Connection<{ id: string; body: string; createdAt: string; user: { name: string } | null }> } } = await this.query(
        'query Comments($id: String!, $after: String) { issue(id: $id) { comments(first: 100, after: $after) { nodes { id body createdAt user { name } } pageInfo { hasNextPage endCursor } } } }',
        { id: externalId, after },
      );
      for (const comment of page.issue.comments.nodes) comments.push({ external_id: comment.id, ...(comment.user && { author: comment.user.name }), body: comment.body, created_at: comment.createdAt });
      after = page.issue.comments.pageInfo.hasNextPage ? page.issue.comments.pageInfo.endCursor : null;
    } while (after);
    return {
      ...summary(issue),
      description: issue.description ?? '',
      priority: priorities[issue.priority] ?? 'none',
      ...(issue.dueDate && { due_date: issue.dueDate }),
      labels: issue.labels.nodes.map((label) => label.name),
      ...(issue.parent && { parent_external_id: issue.parent.id }),
      subtasks: children.map(summary),
      comments,
      attachments: issue.attachments.nodes.map((attachment) => ({ name: attachment.title, url: attachment.url })),
    };
  }

  async updateStatus(projectId: string, externalId: string, status: TaskStatus): Promise<{ status: TaskStatus }> {
    const data = await this.query<{ team: { states: { nodes: (LinearState & { position: number })[] } } | null; issue: LinearIssue }>(
      `query States($team: String!, $id: String!) { team(id: $team) { states { nodes { id name type position } } } issue(id: $id) { ${issueFields} } }`,
      { team: projectId, id: externalId },
    );
    const now = linearStatus(data.issue.state);
    if (now === status) return { status };
    const states = [...(data.team?.states.nodes ?? [])].sort((a, b) => a.position - b.position);
    const pick = (type: string, name?: RegExp, notName?: RegExp) => states.find((state) => state.type === type && (!name || name.test(state.name)) && (!notName || !notName.test(state.name)));
    const target =
      status === 'done' ? pick('completed')
      : status === 'cancelled' ? pick('canceled')
      : status === 'review' ? (pick('started', /review/i) ?? pick('started'))
      : status === 'in_progress' ? (pick('started', undefined, /review/i) ?? pick('started'))
      : status === 'todo' ? (pick('unstarted') ?? pick('backlog'))
      : undefined; // blocked and failed have no workflow state of their own: left as they are.
    if (!target) return { status: now };
    const result = await this.query<{ issueUpdate: { success: boolean } }>('mutation Move($id: String!, $state: String!) { issueUpdate(id: $id, input: { stateId: $state }) { success issue { id state { id name type } } } }', { id: externalId, state: target.id });
    if (!result.issueUpdate.success) throw new TrackerError('tracker_rejected', `Linear did not move ${data.issue.identifier} to ${target.name}.`, { provider: 'linear' });
    return { status: linearStatus(target) };
  }

  async addComment(_projectId: string, externalId: string, markdown: string): Promise<{ external_id: string }> {
    const result = await this.query<{ commentCreate: { success: boolean; comment?: { id: string } | null } }>('mutation Comment($id: String!, $body: String!) { commentCreate(input: { issueId: $id, body: $body }) { success comment { id } } }', { id: externalId, body: markdown });
    if (!result.commentCreate.success || !result.commentCreate.comment) throw new TrackerError('tracker_rejected', 'Linear did not add the comment.', { provider: 'linear' });
    return { external_id: result.commentCreate.comment.id };
  }

  /** One GraphQL call; errors in the body (with any HTTP status) become TrackerErrors. */
  private async query<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const { body } = await this.http.request<{ data?: T | null; errors?: GraphqlError[] }>('POST', '/graphql', { body: { query, variables } });
    const first = body.errors?.[0];
    if (first) throw new TrackerError(errorCode(first), `Linear: ${first.extensions?.userPresentableMessage ?? first.message}`, { provider: 'linear' });
    if (!body.data) throw new TrackerError('tracker_unavailable', 'Linear answered without data.', { provider: 'linear' });
    return body.data;
  }
}

function summary(issue: LinearIssue): ExternalTaskSummary {
  return { external_id: issue.id, title: `${issue.identifier} ${issue.title}`, status: linearStatus(issue.state), url: issue.url, updated_at: issue.updatedAt };
}
