import path from 'node:path';
import { AgentService } from '../agent/agent-service.js';
import { CriterionService } from '../acceptance-criteria/criterion.service.js';
import { AttachmentStore } from '../attachments/attachment-store.js';
import { AttachmentService } from '../attachments/attachment.service.js';
import { CommentService } from '../comments/comment.service.js';
import type { Config } from '../config/config.js';
import type { Database } from '../db/database.js';
import { HealthService } from '../health/health.service.js';
import { NodeService } from '../nodes/node.service.js';
import { ProjectService } from '../projects/project.service.js';
import { TaskService } from '../tasks/task.service.js';
import { WorkspaceRoot } from '../workspace/workspace-root.js';
import { version } from './version.js';

/** Every service, wired once: the HTTP server, the CLI and tests all use this same set. */
export interface Services {
  config: Config;
  db: Database;
  workspaces: WorkspaceRoot;
  projects: ProjectService;
  tasks: TaskService;
  comments: CommentService;
  attachments: AttachmentService;
  criteria: CriterionService;
  nodes: NodeService;
  health: HealthService;
  agent: AgentService;
}

export interface ServiceOptions {
  /** Where operator warnings go (commands running without a sandbox, say). */
  onWarning?: (message: string) => void;
}

export function createServices(db: Database, config: Config, options: ServiceOptions = {}): Services {
  const workspaces = new WorkspaceRoot(config.workspacesDir);
  const attachments = new AttachmentService(
    db,
    new AttachmentStore(path.join(config.dataDir, 'attachments'), config.attachmentMaxBytes),
  );
  const nodes = new NodeService(db);
  const projects = new ProjectService(db, workspaces, attachments);
  return {
    config,
    db,
    workspaces,
    projects,
    tasks: new TaskService(db, nodes, attachments),
    comments: new CommentService(db),
    attachments,
    criteria: new CriterionService(db),
    nodes,
    health: new HealthService(db, config, version),
    agent: new AgentService(config, workspaces, nodes, projects, { onWarning: options.onWarning }),
  };
}
