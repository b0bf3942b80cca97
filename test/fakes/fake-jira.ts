import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

/**
 * Jira Cloud's REST v3 as far as wfhub uses it, in Jira's shapes: basic auth with an email and
 * an API token, `search/jql` paged by `nextPageToken` with only the `fields` asked for (the id
 * alone otherwise) and no total, ADF rich text (a plain string body refused with 400),
 * workflow transitions answering 204, `errorMessages` errors, 429 with Retry-After.
 */
type Category = 'new' | 'indeterminate' | 'done';

export interface FakeJiraIssue {
  id: string;
  key: string;
  project: string;
  summary: string;
  status: string;
  description: unknown;
  labels: string[];
  parent?: string;
  comments: { id: string; body: unknown; created: string }[];
  attachments: { id: string; filename: string; size: number; mimeType: string }[];
  updated: string;
}

const statuses: Record<string, { id: string; category: Category }> = {
  'To Do': { id: '10000', category: 'new' },
  'In Progress': { id: '3', category: 'indeterminate' },
  'In Review': { id: '10010', category: 'indeterminate' },
  Done: { id: '10001', category: 'done' },
};
const categoryNames: Record<Category, string> = { new: 'To Do', indeterminate: 'In Progress', done: 'Done' };

export class FakeJira {
  url = '';
  readonly requests: { method: string; path: string; body?: unknown }[] = [];
  readonly projects: { id: string; key: string; name: string }[] = [];
  readonly issues: FakeJiraIssue[] = [];
  private interrupt: number | undefined;
  private readonly http = new LoopbackServer();
  private counter = 10000;

  constructor(
    readonly email: string,
    readonly token: string,
  ) {}

  addProject(key: string, name: string): void {
    this.projects.push({ id: String(this.counter++), key, name });
  }

  addIssue(project: string, summary: string, options: { status?: string; parent?: string; description?: unknown } = {}): FakeJiraIssue {
    const number = this.issues.filter((issue) => issue.project === project).length + 1;
    const issue: FakeJiraIssue = {
      id: String(this.counter++),
      key: `${project}-${number}`,
      project,
      summary,
      status: options.status ?? 'To Do',
      description: options.description ?? { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: `About ${summary}.` }] }] },
      labels: number % 4 === 0 ? ['backend'] : [],
      ...(options.parent && { parent: options.parent }),
      comments: [],
      attachments: [],
      updated: new Date(Date.UTC(2026, 10, 1) + number * 60_000).toISOString().replace('Z', '+0000'),
    };
    this.issues.push(issue);
    return issue;
  }

  rateLimitNext(seconds: number): void {
    this.interrupt = seconds;
  }

  async start(): Promise<this> {
    this.url = `${await this.http.start((request, response) => this.handle(request, response))}`;
    return this;
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  private status(name: string) {
    const status = statuses[name]!;
    return { self: `${this.url}/rest/api/3/status/${status.id}`, id: status.id, name, statusCategory: { id: 2, key: status.category, name: categoryNames[status.category] } };
  }

  private view(issue: FakeJiraIssue, fields: Set<string>): Record<string, unknown> {
    const all: Record<string, unknown> = {
      summary: issue.summary,
      status: this.status(issue.status),
      updated: issue.updated,
      description: issue.description,
      duedate: null,
      labels: issue.labels,
      priority: { id: '3', name: 'Medium' },
      parent: issue.parent ? { id: this.issues.find((item) => item.key === issue.parent)!.id, key: issue.parent, fields: { summary: 'parent' } } : undefined,
      subtasks: this.issues.filter((item) => item.parent === issue.key).map((item) => ({ id: item.id, key: item.key, fields: { summary: item.summary, status: this.status(item.status) } })),
      attachment: issue.attachments.map((file) => ({ ...file, created: issue.updated, content: `${this.url}/rest/api/3/attachment/content/${file.id}` })),
      comment: { comments: issue.comments.slice(0, 1), maxResults: 1, total: issue.comments.length, startAt: 0 },
    };
    const picked = Object.fromEntries(Object.entries(all).filter(([key, value]) => (fields.has('*all') || fields.has(key)) && value !== undefined));
    return { id: issue.id, key: issue.key, self: `${this.url}/rest/api/3/issue/${issue.id}`, ...(Object.keys(picked).length > 0 && { fields: picked }) };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of request) raw += String(chunk);
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    const url = new URL(request.url ?? '/', this.url);
    const path = url.pathname;
    this.requests.push({ method: request.method ?? 'GET', path: `${path}${url.search}`, ...(body && { body }) });
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers });
      response.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    const error = (status: number, message: string, errors: Record<string, string> = {}) => send(status, { errorMessages: message ? [message] : [], errors });
    if (this.interrupt !== undefined) {
      const seconds = this.interrupt;
      this.interrupt = undefined;
      return send(429, { errorMessages: ['Rate limit exceeded.'] }, { 'retry-after': String(seconds), 'x-ratelimit-reset': new Date(Date.now() + seconds * 1000).toISOString(), 'ratelimit-reason': 'jira-quota-global-based' });
    }
    if (request.headers.authorization !== `Basic ${Buffer.from(`${this.email}:${this.token}`).toString('base64')}`) {
      response.writeHead(401, { 'content-type': 'text/html;charset=UTF-8', 'www-authenticate': 'OAuth realm="https%3A%2F%2Fexample.atlassian.net"' });
      return void response.end('Client must be authenticated to access this resource.');
    }
    const method = request.method;
    if (method === 'GET' && path === '/rest/api/3/myself') return send(200, { accountId: '5b10a2844c20165700ede21g', accountType: 'atlassian', active: true, displayName: 'Mia Krystof', emailAddress: this.email, timeZone: 'Europe/Paris' });
    if (method === 'GET' && path === '/rest/api/3/project/search') {
      const startAt = Number(url.searchParams.get('startAt') ?? 0);
      const maxResults = Number(url.searchParams.get('maxResults') ?? 50);
      const values = this.projects.slice(startAt, startAt + maxResults).map((project) => ({ ...project, self: `${this.url}/rest/api/3/project/${project.id}`, simplified: false, style: 'classic' }));
      return send(200, { isLast: startAt + maxResults >= this.projects.length, maxResults, startAt, total: this.projects.length, values });
    }
    if (method === 'GET' && path === '/rest/api/3/search/jql') {
      const jql = url.searchParams.get('jql') ?? '';
      const match = /^project = "?([A-Z0-9_]+)"?/.exec(jql);
      if (!match) return error(400, 'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.');
      if (!this.projects.some((project) => project.key === match[1])) return error(400, `The value '${match[1]}' does not exist for the field 'project'.`);
      const fields = new Set((url.searchParams.get('fields') ?? '').split(',').filter(Boolean));
      const maxResults = Math.min(Number(url.searchParams.get('maxResults') ?? 50), 5000);
      const start = url.searchParams.get('nextPageToken') ? Number(Buffer.from(url.searchParams.get('nextPageToken')!, 'base64url').toString()) : 0;
      const order = /ORDER BY (created|updated) (ASC|DESC)/i.exec(jql);
      // Issues are kept in the order they were created.
      const list = this.issues.filter((issue) => issue.project === match[1]);
      if (order?.[1]?.toLowerCase() === 'updated') list.sort((a, b) => a.updated.localeCompare(b.updated));
      if (order?.[2]?.toUpperCase() === 'DESC') list.reverse();
      const page = list.slice(start, start + maxResults);
      const more = start + maxResults < list.length;
      return send(200, { issues: page.map((issue) => this.view(issue, fields)), ...(more && { nextPageToken: Buffer.from(String(start + maxResults)).toString('base64url') }), isLast: !more });
    }
    const match = /^\/rest\/api\/3\/issue\/([A-Z0-9_]+-\d+)(?:\/(comment|transitions))?$/.exec(path);
    const issue = match && this.issues.find((item) => item.key === match[1]);
    if (!match || !issue) return error(404, 'Issue does not exist or you do not have permission to see it.');
    if (!match[2] && method === 'GET') return send(200, this.view(issue, new Set((url.searchParams.get('fields') ?? '*all').split(','))));
    if (match[2] === 'comment') {
      if (method === 'GET') {
        const startAt = Number(url.searchParams.get('startAt') ?? 0);
        const maxResults = Number(url.searchParams.get('maxResults') ?? 50);
        const comments = issue.comments.slice(startAt, startAt + maxResults).map((comment) => ({ ...comment, author: { accountId: '1', displayName: 'Mia Krystof' }, updated: comment.created }));
        return send(200, { comments, maxResults, startAt, total: issue.comments.length });
      }
      if (method === 'POST') {
        const doc = body?.body as { type?: string; version?: number } | undefined;
        if (!doc || typeof doc !== 'object' || doc.type !== 'doc' || doc.version !== 1) return error(400, '', { comment: 'Comment body is not valid!' });
        const comment = { id: String(this.counter++), body: doc, created: new Date().toISOString().replace('Z', '+0000') };
        issue.comments.push(comment);
        return send(201, comment);
      }
    }
    if (match[2] === 'transitions') {
      // Any status to any other, as a simple workflow allows.
      const transitions = Object.keys(statuses).filter((name) => name !== issue.status).map((name) => ({ id: `t-${statuses[name]!.id}`, name: name === 'Done' ? 'Done' : `Move to ${name}`, to: this.status(name) }));
      if (method === 'GET') return send(200, { expand: 'transitions', transitions });
      if (method === 'POST') {
        const wanted = transitions.find((transition) => transition.id === (body?.transition as { id?: string } | undefined)?.id);
        if (!wanted) return error(400, 'Transition id is not valid for this issue.');
        issue.status = wanted.to.name;
        return send(204);
      }
    }
    return error(404, 'Not found');
  }
}
