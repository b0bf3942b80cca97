import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

/**
 * GitHub's REST API for issues, as far as wfhub uses it, in the shapes GitHub answers with
 * (page links in the Link header, pull requests mixed into the issues list, `Bad credentials`
 * 401s, 429s with Retry-After). Serves under `/api/v3` too, as GitHub Enterprise does.
 */
export interface FakeIssue {
  id: number;
  node_id: string;
  number: number;
  title: string;
  user: { login: string };
  labels: { id: number; name: string; color: string }[];
  state: 'open' | 'closed';
  state_reason: 'completed' | 'not_planned' | 'reopened' | null;
  assignee: null;
  assignees: [];
  milestone: null;
  comments: number;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  body: string | null;
  html_url: string;
  pull_request?: { url: string; html_url: string };
}

export interface FakeComment {
  id: number;
  html_url: string;
  body: string;
  user: { login: string };
  created_at: string;
}

const stamp = (offset: number) => new Date(Date.UTC(2026, 10, 1) + offset * 60_000).toISOString().replace('.000Z', 'Z');

export class FakeGithub {
  url = '';
  readonly requests: { method: string; path: string; body?: unknown }[] = [];
  readonly repos = new Map<string, { issues: FakeIssue[]; comments: Map<number, FakeComment[]> }>();
  /** The next request answers this (a rate limit, say) instead. */
  private interrupt: { status: number; headers: Record<string, string>; body: unknown } | undefined;
  private readonly http = new LoopbackServer();
  private nextId = 1000;

  constructor(readonly token: string) {}

  addRepo(fullName: string, options: { issues?: number; pulls?: number } = {}): this {
    const repo = { issues: [] as FakeIssue[], comments: new Map<number, FakeComment[]>() };
    this.repos.set(fullName, repo);
    const total = (options.issues ?? 0) + (options.pulls ?? 0);
    const pullEvery = options.pulls ? Math.floor(total / options.pulls) : 0;
    let pulls = options.pulls ?? 0;
    for (let number = 1; number <= total; number++) {
      const pull = pulls > 0 && number % pullEvery === 0;
      if (pull) pulls--;
      repo.issues.push(this.issue(fullName, number, pull ? `Pull request ${number}` : `Issue ${number}`, pull));
    }
    return this;
  }

  addComments(fullName: string, number: number, count: number): void {
    const repo = this.repos.get(fullName)!;
    const list = repo.comments.get(number) ?? [];
    for (let index = 0; index < count; index++) list.push(this.comment(fullName, number, `Comment ${list.length + 1}`));
    repo.comments.set(number, list);
    repo.issues.find((issue) => issue.number === number)!.comments = list.length;
  }

  /** The next request gets 429 with Retry-After (seconds). */
  rateLimitNext(retryAfterSeconds: number): void {
    this.interrupt = { status: 429, headers: { 'retry-after': String(retryAfterSeconds) }, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest' } };
  }

  async start(): Promise<this> {
    this.url = `${await this.http.start((request, response) => this.handle(request, response))}`;
    return this;
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  private issue(fullName: string, number: number, title: string, pull: boolean): FakeIssue {
    return {
      id: this.nextId++,
      node_id: `I_kwDO${number}`,
      number,
      title,
      user: { login: 'octocat' },
      labels: number % 3 === 0 ? [{ id: 208045946, name: 'bug', color: 'f29513' }] : [],
      state: 'open',
      state_reason: null,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: 0,
      created_at: stamp(number),
      updated_at: stamp(number + 1),
      closed_at: null,
      body: number % 5 === 0 ? null : `Body of ${title}\n\n- [ ] a step`,
      html_url: `https://github.com/${fullName}/${pull ? 'pull' : 'issues'}/${number}`,
      ...(pull && { pull_request: { url: `https://api.github.com/repos/${fullName}/pulls/${number}`, html_url: `https://github.com/${fullName}/pull/${number}` } }),
    };
  }

  private comment(fullName: string, number: number, body: string): FakeComment {
    const id = this.nextId++;
    return { id, html_url: `https://github.com/${fullName}/issues/${number}#issuecomment-${id}`, body, user: { login: 'hubot' }, created_at: stamp(id) };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of request) raw += String(chunk);
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    const url = new URL(request.url ?? '/', this.url);
    const path = url.pathname.replace(/^\/api\/v3(?=\/)/, '');
    const prefix = url.pathname.startsWith('/api/v3/') ? '/api/v3' : '';
    this.requests.push({ method: request.method ?? 'GET', path: `${path}${url.search}`, ...(body && { body }) });
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', ...headers });
      response.end(JSON.stringify(payload));
    };
    if (this.interrupt) {
      const { status, headers, body: payload } = this.interrupt;
      this.interrupt = undefined;
      return send(status, payload, headers);
    }
    if (request.headers.authorization !== `Bearer ${this.token}`) return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    if (!request.headers['user-agent']) return send(403, { message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.' });
    const notFound = () => send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    // One page of `items`, with GitHub's Link header for the others.
    const page = <T>(items: T[]) => {
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
      const number = Math.max(1, Number(url.searchParams.get('page') ?? 1));
      const last = Math.max(1, Math.ceil(items.length / perPage));
      const link = (n: number) => {
        const target = new URL(url);
        target.searchParams.set('page', String(n));
        return `<${this.url}${prefix}${path}${target.search}>`;
      };
      const rels = [number < last && `${link(number + 1)}; rel="next"`, number < last && `${link(last)}; rel="last"`, number > 1 && `${link(1)}; rel="first"`, number > 1 && `${link(number - 1)}; rel="prev"`].filter(Boolean);
      send(200, items.slice((number - 1) * perPage, number * perPage), rels.length ? { link: rels.join(', ') } : {});
    };

    if (request.method === 'GET' && path === '/user') return send(200, { login: 'octocat', id: 1, html_url: 'https://github.com/octocat', type: 'User' });
    if (request.method === 'GET' && path === '/user/repos') {
      return page([...this.repos.keys()].sort().map((fullName, index) => ({ id: index + 1, full_name: fullName, name: fullName.split('/')[1], html_url: `https://github.com/${fullName}`, has_issues: true, private: false })));
    }
    const match = /^\/repos\/([^/]+\/[^/]+)\/issues(?:\/(\d+)(\/comments)?)?$/.exec(path);
    const repo = match && this.repos.get(match[1]!);
    if (!match || !repo) return notFound();
    if (!match[2]) {
      if (request.method !== 'GET') return notFound();
      const state = url.searchParams.get('state') ?? 'open';
      const sorted = [...repo.issues].filter((issue) => state === 'all' || issue.state === state).sort((a, b) => (url.searchParams.get('sort') === 'updated' ? a.updated_at.localeCompare(b.updated_at) : a.number - b.number));
      // GitHub's default: newest first.
      if (url.searchParams.get('direction') !== 'asc') sorted.reverse();
      return page(sorted);
    }
    const issue = repo.issues.find((item) => item.number === Number(match[2]));
    if (!issue) return notFound();
    if (match[3]) {
      if (request.method === 'GET') return page(repo.comments.get(issue.number) ?? []);
      if (request.method === 'POST') {
        if (typeof body?.body !== 'string' || !body.body) return send(422, { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }], documentation_url: 'https://docs.github.com/rest' });
        const comment = this.comment(match[1]!, issue.number, body.body);
        repo.comments.set(issue.number, [...(repo.comments.get(issue.number) ?? []), comment]);
        issue.comments++;
        return send(201, comment);
      }
      return notFound();
    }
    if (request.method === 'GET') return send(200, issue);
    if (request.method === 'PATCH') {
      if (body?.state === 'open' || body?.state === 'closed') {
        const changed = body.state !== issue.state;
        issue.state = body.state;
        // As GitHub does: the reason counts only with a change of state.
        if (changed) issue.state_reason = (body.state_reason as FakeIssue['state_reason']) ?? (body.state === 'closed' ? 'completed' : 'reopened');
        issue.closed_at = issue.state === 'closed' ? new Date().toISOString() : null;
      }
      issue.updated_at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      return send(200, issue);
    }
    return notFound();
  }
}
