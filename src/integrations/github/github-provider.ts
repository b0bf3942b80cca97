import type { TaskStatus } from '../../tasks/task-fields.js';
import { TrackerError } from '../tracker-error.js';
import { TrackerHttp } from '../tracker-http.js';
import type { ExternalComment, ExternalPage, ExternalProject, ExternalTask, ExternalTaskSummary, TrackerProvider } from '../tracker-provider.js';

/** The parts of GitHub's issue wfhub reads. */
interface GithubIssue {
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  state_reason: 'completed' | 'not_planned' | 'reopened' | null;
  html_url: string;
  updated_at: string;
  labels: ({ name?: string } | string)[];
  /** Present on pull requests, which the issues API lists too. */
  pull_request?: unknown;
}

interface GithubComment {
  id: number;
  body: string | null;
  user: { login: string } | null;
  created_at: string;
}

/** The `rel="next"` link of GitHub's Link header. */
export function nextLink(header: string | null): string | undefined {
  for (const part of header?.split(',') ?? []) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return match[1];
  }
  return undefined;
}

/** open is to do; closed as completed is done; closed as not planned is cancelled. */
export function githubStatus(issue: Pick<GithubIssue, 'state' | 'state_reason'>): TaskStatus {
  if (issue.state === 'open') return 'todo';
  return issue.state_reason === 'not_planned' ? 'cancelled' : 'done';
}

/**
 * GitHub Issues over its REST API, on github.com or a GitHub Enterprise server (its base URL
 * ends in /api/v3). A project is a repository, named owner/name; pull requests, which the issues
 * list mixes in, are left out.
 */
export class GithubProvider implements TrackerProvider {
  readonly kind = 'github' as const;
  private readonly http: TrackerHttp;

  constructor(options: { token: string; baseUrl?: string; http?: Partial<ConstructorParameters<typeof TrackerHttp>[0]> }) {
    this.http = new TrackerHttp({
      provider: 'github',
      baseUrl: options.baseUrl ?? 'https://api.github.com',
      headers: {
        authorization: `Bearer ${options.token}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'user-agent': 'wfhub',
      },
      ...options.http,
    });
  }

  async validate(): Promise<{ account: string }> {
    const { body } = await this.http.request<{ login: string }>('GET', '/user');
    return { account: body.login };
  }

  async listProjects(): Promise<ExternalProject[]> {
    const repos: ExternalProject[] = [];
    let target: string | undefined = this.http.url('/user/repos', { per_page: 100, sort: 'full_name' }).toString();
    while (target) {
      const { body, headers } = await this.http.request<{ full_name: string; html_url: string; has_issues?: boolean }[]>('GET', target);
      for (const repo of body) if (repo.has_issues !== false) repos.push({ id: repo.full_name, name: repo.full_name, url: repo.html_url });
      target = nextLink(headers.get('link'));
    }
    return repos;
  }

  async listTasks(projectId: string, cursor?: string): Promise<ExternalPage<ExternalTaskSummary>> {
    const target = cursor ?? this.http.url(`${this.repoPath(projectId)}/issues`, { state: 'all', sort: 'created', direction: 'asc', per_page: 100 }).toString();
    const { body, headers } = await this.http.request<GithubIssue[]>('GET', target);
    const next = nextLink(headers.get('link'));
    return { items: body.filter((issue) => issue.pull_request === undefined).map(summary), ...(next && { next }) };
  }

  async getTask(projectId: string, externalId: string): Promise<ExternalTask> {
    const path = `${this.repoPath(projectId)}/issues/${this.issueNumber(externalId)}`;
    const { body: issue } = await this.http.request<GithubIssue>('GET', path);
    if (issue.pull_request !== undefined) throw new TrackerError('tracker_not_found', `#${issue.number} in ${projectId} is a pull request, not an issue.`, { provider: 'github', status: 404 });
    const comments: ExternalComment[] = [];
    let target: string | undefined = this.http.url(`${path}/comments`, { per_page: 100 }).toString();
    while (target) {
      const { body, headers } = await this.http.request<GithubComment[]>('GET', target);
      for (const comment of body) comments.push({ external_id: String(comment.id), ...(comment.user && { author: comment.user.login }), body: comment.body ?? '', created_at: comment.created_at });
      target = nextLink(headers.get('link'));
    }
    return {
      ...summary(issue),
      description: issue.body ?? '',
      labels: issue.labels.map((label) => (typeof label === 'string' ? label : (label.name ?? ''))).filter(Boolean),
      subtasks: [],
      comments,
      // GitHub has no attachments API: files are links in the body, imported with it.
      attachments: [],
    };
  }

  async updateStatus(projectId: string, externalId: string, status: TaskStatus): Promise<{ status: TaskStatus }> {
    const path = `${this.repoPath(projectId)}/issues/${this.issueNumber(externalId)}`;
    const { body: issue } = await this.http.request<GithubIssue>('GET', path);
    const wanted: Pick<GithubIssue, 'state' | 'state_reason'> =
      status === 'done' ? { state: 'closed', state_reason: 'completed' } : status === 'cancelled' ? { state: 'closed', state_reason: 'not_planned' } : { state: 'open', state_reason: 'reopened' };
    // GitHub ignores state_reason unless the state changes; an issue already right is left alone.
    if (githubStatus(issue) === githubStatus(wanted)) return { status: githubStatus(issue) };
    await this.http.request('PATCH', path, { body: wanted });
    return { status: githubStatus(wanted) };
  }

  async addComment(projectId: string, externalId: string, markdown: string): Promise<{ external_id: string }> {
    const { body } = await this.http.request<{ id: number }>('POST', `${this.repoPath(projectId)}/issues/${this.issueNumber(externalId)}/comments`, { body: { body: markdown } });
    return { external_id: String(body.id) };
  }

  private repoPath(projectId: string): string {
    const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(projectId);
    if (!match) throw new TrackerError('tracker_rejected', `"${projectId}" is not a GitHub repository: name it owner/name.`, { provider: 'github' });
    return `/repos/${match[1]}/${match[2]}`;
  }

  private issueNumber(externalId: string): number {
    if (!/^\d+$/.test(externalId)) throw new TrackerError('tracker_rejected', `"${externalId}" is not a GitHub issue number.`, { provider: 'github' });
    return Number(externalId);
  }
}

function summary(issue: GithubIssue): ExternalTaskSummary {
  return { external_id: String(issue.number), title: issue.title, status: githubStatus(issue), url: issue.html_url, updated_at: issue.updated_at };
}
