import { AsanaProvider } from './asana/asana-provider.js';
import { GithubProvider } from './github/github-provider.js';
import type { TrackerInfo } from './integration.schema.js';
import { JiraProvider } from './jira/jira-provider.js';
import { LinearProvider } from './linear/linear-provider.js';
import type { TrackerKind, TrackerProvider } from './tracker-provider.js';

/** What the import wizard and `wfhub import` tell a user about each tracker. */
export const trackerInfo: readonly TrackerInfo[] = [
  {
    id: 'asana',
    name: 'Asana',
    project_label: 'project',
    needs_email: false,
    base_url: { required: false, default: 'https://app.asana.com/api/1.0', hint: 'Leave empty for app.asana.com' },
    token_label: 'Personal access token',
    token_help: 'Asana: My settings → Apps → Developer apps → Create new token (https://app.asana.com/0/my-apps).',
  },
  {
    id: 'jira',
    name: 'Jira Cloud',
    project_label: 'project',
    needs_email: true,
    base_url: { required: true, default: null, hint: 'Your site, such as https://example.atlassian.net' },
    token_label: 'API token',
    token_help: 'Atlassian account → Security → Create and manage API tokens (https://id.atlassian.com/manage-profile/security/api-tokens); sent with your account email.',
  },
  {
    id: 'linear',
    name: 'Linear',
    project_label: 'team',
    needs_email: false,
    base_url: { required: false, default: 'https://api.linear.app', hint: 'Leave empty for api.linear.app' },
    token_label: 'Personal API key',
    token_help: 'Linear: Settings → Account → Security & access → Personal API keys (read and write).',
  },
  {
    id: 'github',
    name: 'GitHub Issues',
    project_label: 'repository',
    needs_email: false,
    base_url: { required: false, default: 'https://api.github.com', hint: 'Leave empty for github.com; GitHub Enterprise: https://HOST/api/v3' },
    token_label: 'Token',
    token_help: 'GitHub: Settings → Developer settings → Personal access tokens; a fine-grained token needs Issues: read and write on the repositories.',
  },
];

export interface TrackerAccess {
  provider: TrackerKind;
  token: string;
  email?: string | null;
  baseUrl?: string | null;
}

/** The provider for one credential. */
export function connectTracker(access: TrackerAccess): TrackerProvider {
  const baseUrl = access.baseUrl ?? undefined;
  switch (access.provider) {
    case 'asana':
      return new AsanaProvider({ token: access.token, baseUrl });
    case 'linear':
      return new LinearProvider({ token: access.token, baseUrl });
    case 'github':
      return new GithubProvider({ token: access.token, baseUrl });
    case 'jira':
      return new JiraProvider({ token: access.token, email: access.email ?? '', baseUrl: baseUrl ?? '' });
  }
}
