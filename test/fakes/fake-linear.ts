import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';
import { buildSchema, graphql, GraphQLError } from 'graphql';

/**
 * Linear's GraphQL API, as far as wfhub uses it: a subset of Linear's schema (its names, types
 * and arguments) executed by graphql-js, so a query Linear would refuse is refused here too.
 * Relay connections default to 50 items; errors come in the body (HTTP 200 for a missing entity,
 * 400 for a bad key, and a `ratelimited` type when asked).
 */
const schema = buildSchema(`
  type Query {
    viewer: User!
    teams(first: Int, after: String): TeamConnection!
    team(id: String!): Team
    issue(id: String!): Issue
  }
  type Mutation {
    issueUpdate(id: String!, input: IssueUpdateInput!): IssuePayload!
    commentCreate(input: CommentCreateInput!): CommentPayload!
  }
  input IssueUpdateInput { stateId: String, title: String }
  input CommentCreateInput { issueId: String!, body: String! }
  type IssuePayload { success: Boolean!, issue: Issue }
  type CommentPayload { success: Boolean!, comment: Comment }
  type User { id: ID!, name: String!, email: String!, organization: Organization! }
  type Organization { id: ID!, name: String!, urlKey: String! }
  type PageInfo { hasNextPage: Boolean!, endCursor: String }
  enum PaginationOrderBy { createdAt updatedAt }
  type TeamConnection { nodes: [Team!]!, pageInfo: PageInfo! }
  type Team {
    id: ID!
    key: String!
    name: String!
    issues(first: Int, after: String, orderBy: PaginationOrderBy): IssueConnection!
    states(first: Int): WorkflowStateConnection!
  }
  type WorkflowStateConnection { nodes: [WorkflowState!]!, pageInfo: PageInfo! }
  type WorkflowState { id: ID!, name: String!, type: String!, position: Float! }
  type IssueConnection { nodes: [Issue!]!, pageInfo: PageInfo! }
  type Issue {
    id: ID!
    identifier: String!
    title: String!
    description: String
    url: String!
    priority: Float!
    dueDate: String
    createdAt: String!
    updatedAt: String!
    state: WorkflowState!
    labels(first: Int): IssueLabelConnection!
    parent: Issue
    children(first: Int, after: String): IssueConnection!
    attachments(first: Int): AttachmentConnection!
    comments(first: Int, after: String): CommentConnection!
  }
  type IssueLabelConnection { nodes: [IssueLabel!]!, pageInfo: PageInfo! }
  type IssueLabel { id: ID!, name: String! }
  type AttachmentConnection { nodes: [Attachment!]!, pageInfo: PageInfo! }
  type Attachment { id: ID!, title: String!, url: String! }
  type CommentConnection { nodes: [Comment!]!, pageInfo: PageInfo! }
  type Comment { id: ID!, body: String!, url: String!, createdAt: String!, user: User }
`);

export interface FakeLinearIssue {
  id: string;
  identifier: string;
  title: string;
  description: string | null;
  priority: number;
  dueDate: string | null;
  updatedAt: string;
  teamId: string;
  stateId: string;
  parentId: string | null;
  labels: string[];
  attachments: { id: string; title: string; url: string }[];
  comments: { id: string; body: string; createdAt: string }[];
}

export class FakeLinear {
  url = '';
  readonly calls: { query: string; variables: Record<string, unknown> }[] = [];
  readonly teams: { id: string; key: string; name: string; states: { id: string; name: string; type: string; position: number }[] }[] = [];
  readonly issues: FakeLinearIssue[] = [];
  private rateLimitOnce: number | undefined;
  private readonly http = new LoopbackServer();
  private counter = 0;

  constructor(readonly key: string) {}

  private uuid(): string {
    this.counter++;
    return `00000000-0000-4000-8000-${String(this.counter).padStart(12, '0')}`;
  }

  addTeam(key: string, name: string): string {
    const id = this.uuid();
    const states = [
      ['Backlog', 'backlog'],
      ['Todo', 'unstarted'],
      ['In Progress', 'started'],
      ['In Review', 'started'],
      ['Done', 'completed'],
      ['Canceled', 'canceled'],
    ].map(([stateName, type], position) => ({ id: this.uuid(), name: stateName!, type: type!, position }));
    this.teams.push({ id, key, name, states });
    return id;
  }

  addIssue(teamId: string, title: string, options: { state?: string; parentId?: string } = {}): FakeLinearIssue {
    const team = this.teams.find((item) => item.id === teamId)!;
    const number = this.issues.filter((issue) => issue.teamId === teamId).length + 1;
    const issue: FakeLinearIssue = {
      id: this.uuid(),
      identifier: `${team.key}-${number}`,
      title,
      description: `## ${title}\n\nIn **markdown**.`,
      priority: number % 5,
      dueDate: number % 2 ? '2026-12-24' : null,
      updatedAt: new Date(Date.UTC(2026, 10, 1) + number * 60_000).toISOString(),
      teamId,
      stateId: team.states.find((state) => state.name === (options.state ?? 'Todo'))!.id,
      parentId: options.parentId ?? null,
      labels: number % 3 === 0 ? ['Bug'] : [],
      attachments: [],
      comments: [],
    };
    this.issues.push(issue);
    return issue;
  }

  stateOf(issue: FakeLinearIssue) {
    return this.teams.find((team) => team.id === issue.teamId)!.states.find((state) => state.id === issue.stateId)!;
  }

  /** The next call answers HTTP 400 with a `ratelimited` error and this wait (seconds). */
  rateLimitNext(seconds: number): void {
    this.rateLimitOnce = seconds;
  }

  async start(): Promise<this> {
    this.url = `${await this.http.start((request, response) => this.handle(request, response))}`;
    return this;
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  private connection<T>(items: T[], args: { first?: number | null; after?: string | null }) {
    const first = args.first ?? 50;
    const start = args.after ? Number(Buffer.from(args.after, 'base64url').toString()) : 0;
    const nodes = items.slice(start, start + first);
    const hasNextPage = start + first < items.length;
    return { nodes, pageInfo: { hasNextPage, endCursor: nodes.length ? Buffer.from(String(start + nodes.length)).toString('base64url') : null } };
  }

  private issueView(issue: FakeLinearIssue): Record<string, unknown> {
    return {
      ...issue,
      url: `https://linear.app/acme/issue/${issue.identifier.toLowerCase()}`,
      createdAt: issue.updatedAt,
      state: this.stateOf(issue),
      labels: () => this.connection(issue.labels.map((name, index) => ({ id: `${issue.id}-l${index}`, name })), {}),
      parent: issue.parentId ? this.issueView(this.issues.find((item) => item.id === issue.parentId)!) : null,
      children: (args: { first?: number; after?: string }) => this.connection(this.issues.filter((item) => item.parentId === issue.id).map((item) => this.issueView(item)), args),
      attachments: (args: { first?: number }) => this.connection(issue.attachments, args),
      comments: (args: { first?: number; after?: string }) => this.connection(issue.comments.map((comment) => ({ ...comment, url: `https://linear.app/c/${comment.id}`, user: { id: 'u1', name: 'Grace', email: 'grace@example.com', organization: { id: 'o1', name: 'Acme', urlKey: 'acme' } } })), args),
    };
  }

  private notFound(entity: string): GraphQLError {
    return new GraphQLError(`Entity not found: ${entity}`, { extensions: { type: 'invalid input', code: 'INVALID_INPUT', userPresentableMessage: `Could not find referenced ${entity}.` } });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of request) raw += String(chunk);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      response.end(JSON.stringify(payload));
    };
    if (request.method !== 'POST' || new URL(request.url ?? '/', this.url).pathname !== '/graphql') return send(404, { errors: [{ message: 'Not found' }] });
    const { query, variables } = JSON.parse(raw || '{}') as { query?: string; variables?: Record<string, unknown> };
    this.calls.push({ query: query ?? '', variables: variables ?? {} });
    if (this.rateLimitOnce !== undefined) {
      const seconds = this.rateLimitOnce;
      this.rateLimitOnce = undefined;
      return send(400, { errors: [{ message: 'Rate limit exceeded', extensions: { type: 'ratelimited', code: 'RATELIMITED', userPresentableMessage: 'Too many requests.' } }] }, { 'retry-after': String(seconds), 'x-ratelimit-requests-remaining': '0' });
    }
    if (request.headers.authorization !== this.key) {
      return send(400, { errors: [{ message: 'Authentication required, not authenticated', extensions: { type: 'authentication error', code: 'AUTHENTICATION_ERROR', userPresentableMessage: 'You need to authenticate to access this operation.' } }] });
    }
    const rootValue = {
      viewer: { id: 'u1', name: 'Grace Hopper', email: 'grace@example.com', organization: { id: 'o1', name: 'Acme', urlKey: 'acme' } },
      teams: (args: { first?: number; after?: string }) => this.connection(this.teams.map((team) => ({ ...team, states: () => this.connection(team.states, {}), issues: () => undefined })), args),
      team: ({ id }: { id: string }) => {
        const team = this.teams.find((item) => item.id === id);
        if (!team) return null;
        return {
          ...team,
          states: (args: { first?: number }) => this.connection(team.states, args),
          issues: (args: { first?: number; after?: string; orderBy?: string }) =>
            this.connection(
              this.issues
                .filter((issue) => issue.teamId === id)
                // By creation (the order they were added) unless asked by update, newest first.
                .sort((a, b) => (args.orderBy === 'updatedAt' ? b.updatedAt.localeCompare(a.updatedAt) : 0))
                .map((issue) => this.issueView(issue)),
              args,
            ),
        };
      },
      issue: ({ id }: { id: string }) => {
        const issue = this.issues.find((item) => item.id === id || item.identifier === id);
        if (!issue) throw this.notFound('Issue');
        return this.issueView(issue);
      },
      issueUpdate: ({ id, input }: { id: string; input: { stateId?: string } }) => {
        const issue = this.issues.find((item) => item.id === id);
        if (!issue) throw this.notFound('Issue');
        if (input.stateId) {
          if (!this.teams.find((team) => team.id === issue.teamId)!.states.some((state) => state.id === input.stateId)) throw this.notFound('WorkflowState');
          issue.stateId = input.stateId;
        }
        issue.updatedAt = new Date().toISOString();
        return { success: true, issue: this.issueView(issue) };
      },
      commentCreate: ({ input }: { input: { issueId: string; body: string } }) => {
        const issue = this.issues.find((item) => item.id === input.issueId);
        if (!issue) throw this.notFound('Issue');
        const comment = { id: this.uuid(), body: input.body, createdAt: new Date().toISOString() };
        issue.comments.push(comment);
        return { success: true, comment: { ...comment, url: `https://linear.app/c/${comment.id}`, user: null } };
      },
    };
    const result = await graphql({ schema, source: query ?? '', rootValue, variableValues: variables ?? {} });
    // A query Linear's schema refuses is a 400; an error while running it still answers 200.
    const invalid = !result.data && result.errors?.some((error) => !error.path);
    send(invalid ? 400 : 200, result);
  }
}
