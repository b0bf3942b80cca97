import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

/**
 * Asana's REST API 1.0 as far as wfhub uses it, in Asana's shapes: every body as `{"data": ...}`,
 * compact records unless `opt_fields` names more, `limit` + opaque `offset` pages with
 * `next_page`, `{"errors": [{"message"}]}` errors, 429 with Retry-After.
 */
interface Record_ {
  gid: string;
  resource_type: string;
  [field: string]: unknown;
}

export class FakeAsana {
  url = '';
  readonly requests: { method: string; path: string; body?: unknown }[] = [];
  readonly workspaces: Record_[] = [];
  readonly projects: Record_[] = [];
  readonly sections: Record_[] = [];
  readonly tasks: Record_[] = [];
  readonly stories: Record_[] = [];
  readonly attachments: Record_[] = [];
  private interrupt: { status: number; headers: Record<string, string>; body: unknown } | undefined;
  private readonly http = new LoopbackServer();
  private next = 1_200_000_000_000_000;

  constructor(readonly token: string) {}

  gid(): string {
    return String(this.next++);
  }

  addWorkspace(name: string): string {
    const gid = this.gid();
    this.workspaces.push({ gid, resource_type: 'workspace', name });
    return gid;
  }

  addProject(workspace: string, name: string, sections: string[] = ['To do', 'Doing', 'Review']): string {
    const gid = this.gid();
    this.projects.push({ gid, resource_type: 'project', name, workspace: { gid: workspace }, archived: false, permalink_url: `https://app.asana.com/0/${gid}` });
    for (const section of sections) this.sections.push({ gid: this.gid(), resource_type: 'section', name: section, project: { gid } });
    return gid;
  }

  addTask(project: string, name: string, options: { parent?: string; section?: string; completed?: boolean; notes?: string } = {}): string {
    const gid = this.gid();
    const section = this.sections.find((item) => (item.project as { gid: string }).gid === project && item.name === (options.section ?? 'To do'));
    this.tasks.push({
      gid,
      resource_type: 'task',
      resource_subtype: 'default_task',
      name,
      completed: options.completed ?? false,
      notes: options.notes ?? `Notes of ${name}`,
      due_on: '2026-12-24',
      tags: [{ gid: this.gid(), name: 'backend' }],
      parent: options.parent ? { gid: options.parent, resource_type: 'task', name: 'parent' } : null,
      permalink_url: `https://app.asana.com/0/${project}/${gid}`,
      modified_at: '2026-11-30T10:00:00.000Z',
      memberships: options.parent ? [] : [{ project: { gid: project, name: 'project' }, section: section ? { gid: section.gid, name: section.name } : null }],
    });
    return gid;
  }

  addComment(task: string, text: string): void {
    this.stories.push({ gid: this.gid(), resource_type: 'story', resource_subtype: 'comment_added', text, created_at: '2026-11-30T11:00:00.000Z', created_by: { gid: '1', name: 'Ada' }, target: { gid: task } });
  }

  addActivity(task: string, text: string): void {
    this.stories.push({ gid: this.gid(), resource_type: 'story', resource_subtype: 'assigned', text, created_at: '2026-11-30T11:00:00.000Z', created_by: { gid: '1', name: 'Ada' }, target: { gid: task } });
  }

  addAttachment(task: string, name: string): void {
    const gid = this.gid();
    this.attachments.push({ gid, resource_type: 'attachment', name, size: 1234, host: 'asana', download_url: `https://asana-user-private.s3.amazonaws.com/${gid}?expires=120`, permanent_url: `https://app.asana.com/app/asana/-/get_asset?asset_id=${gid}`, parent: { gid: task } });
  }

  rateLimitNext(retryAfterSeconds: number): void {
    this.interrupt = { status: 429, headers: { 'retry-after': String(retryAfterSeconds) }, body: { errors: [{ message: "You've made too many requests and hit a rate limit. Please retry after the given amount of time." }] } };
  }

  async start(): Promise<this> {
    this.url = `${await this.http.start((request, response) => this.handle(request, response))}/api/1.0`;
    return this;
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of request) raw += String(chunk);
    const body = raw ? (JSON.parse(raw) as { data?: Record<string, unknown> }) : undefined;
    const url = new URL(request.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/api\/1\.0/, '');
    this.requests.push({ method: request.method ?? 'GET', path: `${path}${url.search}`, ...(body && { body }) });
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
      response.end(JSON.stringify(payload));
    };
    const error = (status: number, message: string) => send(status, { errors: [{ message, help: 'For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors' }] });
    if (this.interrupt) {
      const { status, headers, body: payload } = this.interrupt;
      this.interrupt = undefined;
      return send(status, payload, headers);
    }
    if (request.headers.authorization !== `Bearer ${this.token}`) return error(401, 'Not Authorized');
    // Compact unless opt_fields asks for more (a dotted field brings its top-level one).
    const wanted = new Set((url.searchParams.get('opt_fields') ?? '').split(',').filter(Boolean).map((field) => field.split('.')[0]!));
    const shape = (record: Record_) =>
      Object.fromEntries(Object.entries(record).filter(([key]) => ['gid', 'resource_type', 'name', 'resource_subtype'].includes(key) || wanted.has(key)));
    const page = (records: Record_[]) => {
      const limit = Number(url.searchParams.get('limit') ?? 0);
      if (!limit || limit > 100) return error(400, 'limit: Must be between 1 and 100');
      const offset = url.searchParams.get('offset');
      const start = offset ? Number(Buffer.from(offset, 'base64url').toString()) : 0;
      if (!Number.isInteger(start)) return error(400, 'offset: Your pagination token is invalid.');
      const slice = records.slice(start, start + limit);
      const more = start + limit < records.length;
      const token = Buffer.from(String(start + limit)).toString('base64url');
      return send(200, { data: slice.map(shape), next_page: more ? { offset: token, path: `${path}?limit=${limit}&offset=${token}`, uri: `${this.url}${path}?limit=${limit}&offset=${token}` } : null });
    };
    const method = request.method;
    if (method === 'GET' && path === '/users/me') return send(200, { data: { gid: '1', resource_type: 'user', name: 'Ada Lovelace', email: 'ada@example.com', workspaces: this.workspaces.map(shape) } });
    if (method === 'GET' && path === '/workspaces') return page(this.workspaces);
    if (method === 'GET' && path === '/projects') {
      const workspace = url.searchParams.get('workspace');
      if (!workspace) return error(400, 'workspace: Missing input');
      return page(this.projects.filter((project) => (project.workspace as { gid: string }).gid === workspace && (url.searchParams.get('archived') !== 'false' || !project.archived)));
    }
    if (method === 'GET' && path === '/attachments') return page(this.attachments.filter((file) => (file.parent as { gid: string }).gid === url.searchParams.get('parent')));
    let match = /^\/projects\/(\d+)\/(tasks|sections)$/.exec(path);
    if (match && method === 'GET') {
      if (!this.projects.some((project) => project.gid === match![1])) return error(404, 'project: Not a recognized ID: ' + match[1]);
      if (match[2] === 'sections') return page(this.sections.filter((section) => (section.project as { gid: string }).gid === match![1]));
      return page(this.tasks.filter((task) => (task.memberships as { project: { gid: string } }[]).some((item) => item.project.gid === match![1])));
    }
    match = /^\/sections\/(\d+)\/addTask$/.exec(path);
    if (match && method === 'POST') {
      const section = this.sections.find((item) => item.gid === match![1]);
      const task = this.tasks.find((item) => item.gid === body?.data?.task);
      if (!section || !task) return error(404, 'task: Not a recognized ID');
      task.memberships = [{ project: section.project, section: { gid: section.gid, name: section.name } }];
      return send(200, { data: {} });
    }
    match = /^\/tasks\/(\d+)(?:\/(subtasks|stories))?$/.exec(path);
    const task = match && this.tasks.find((item) => item.gid === match![1]);
    if (!match || !task) return error(404, `task: Not a recognized ID: ${match?.[1] ?? path}`);
    if (!match[2]) {
      if (method === 'GET') return send(200, { data: shape(task) });
      if (method === 'PUT') {
        if (typeof body?.data?.completed === 'boolean') task.completed = body.data.completed;
        return send(200, { data: shape(task) });
      }
    }
    if (match[2] === 'subtasks' && method === 'GET') return page(this.tasks.filter((item) => (item.parent as { gid: string } | null)?.gid === task.gid));
    if (match[2] === 'stories') {
      if (method === 'GET') return page(this.stories.filter((story) => (story.target as { gid: string }).gid === task.gid));
      if (method === 'POST') {
        if (typeof body?.data?.text !== 'string') return error(400, 'text: Missing input');
        this.addComment(task.gid, body.data.text);
        return send(201, { data: shape(this.stories.at(-1)!) });
      }
    }
    return error(404, 'No matching route for request');
  }
}
