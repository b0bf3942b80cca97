import type { TaskPriority, TaskStatus } from '../tasks/task-fields.js';

/** The trackers wfhub imports from and syncs back to. */
export const trackerKinds = ['asana', 'jira', 'linear', 'github'] as const;
export type TrackerKind = (typeof trackerKinds)[number];

/** A tracker's project: an Asana project, a Jira project, a Linear team, a GitHub repository (owner/name). */
export interface ExternalProject {
  id: string;
  name: string;
  url?: string;
}

/** A task as a tracker's list shows it. */
export interface ExternalTaskSummary {
  external_id: string;
  title: string;
  /** The tracker's state, in wfhub's terms. */
  status: TaskStatus;
  url: string;
  updated_at?: string;
}

export interface ExternalComment {
  external_id: string;
  author?: string;
  /** Markdown. */
  body: string;
  created_at: string;
}

/** A file on the tracker: its metadata and where to get it (not the bytes). */
export interface ExternalAttachment {
  name: string;
  url: string;
  size?: number;
  mime_type?: string;
}

/** A task with everything an import takes. */
export interface ExternalTask extends ExternalTaskSummary {
  /** Markdown. */
  description: string;
  priority?: TaskPriority;
  due_date?: string;
  labels: string[];
  parent_external_id?: string;
  subtasks: ExternalTaskSummary[];
  comments: ExternalComment[];
  attachments: ExternalAttachment[];
}

export interface ExternalPage<T> {
  items: T[];
  /** Where the next page starts, opaque to the caller; absent on the last page. */
  next?: string;
}

/**
 * One tracker behind one credential. Every call speaks to the tracker (no cache) and fails
 * with a TrackerError; none returns or logs the credential.
 */
export interface TrackerProvider {
  readonly kind: TrackerKind;
  /** Who the credential belongs to, as the tracker says: the check before a credential is kept. */
  validate(): Promise<{ account: string }>;
  listProjects(): Promise<ExternalProject[]>;
  listTasks(projectId: string, cursor?: string): Promise<ExternalPage<ExternalTaskSummary>>;
  getTask(projectId: string, externalId: string): Promise<ExternalTask>;
  /**
   * Moves the tracker's task to the state that stands for `status`, and answers that state in
   * wfhub's terms: what an import will read back (a tracker with fewer states reads coarser).
   */
  updateStatus(projectId: string, externalId: string, status: TaskStatus): Promise<{ status: TaskStatus }>;
  /** Comments on the tracker's task; answers the new comment's id, so an import knows it as ours. */
  addComment(projectId: string, externalId: string, markdown: string): Promise<{ external_id: string }>;
}
