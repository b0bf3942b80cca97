import { eq } from 'drizzle-orm';
import { ConflictError, NotFoundError, UnprocessableError } from '../core/errors.js';
import type { Database } from '../db/database.js';
import type { NodeService } from '../nodes/node.service.js';
import { projectTable } from '../projects/project.sql.js';
import { defaultCheckTimeoutSeconds, defaultMaxAttempts, defaultPipeline } from './pipeline-defaults.js';
import type { Pipeline, PipelineUpdate } from './pipeline.schema.js';
import { pipelineTable } from './pipeline.sql.js';

/** Roles that review dev's work, so come after it; pm plans it, so comes before. */
const afterDev = ['qa', 'security', 'documentation'];

function refuseOutOfOrder(names: readonly string[]): void {
  const dev = names.indexOf('dev');
  if (dev < 0) return;
  const early = names.slice(0, dev).find((name) => afterDev.includes(name));
  if (early) {
    throw new UnprocessableError('pipeline_order', `"${early}" comes before "dev": a failed gate sends the task back to dev, and only the roles after dev check it again. Put ${early} after dev.`, { node: early });
  }
  const late = names.indexOf('pm');
  if (late > dev) throw new UnprocessableError('pipeline_order', '"pm" comes after "dev": pm plans the work dev does. Put pm first.', { node: 'pm' });
}

/** Projects' pipelines: the roles their tasks on autopilot go through, in order. */
export class PipelineService {
  constructor(
    private readonly db: Database,
    private readonly nodes: NodeService,
  ) {}

  /** The project's pipeline, or the default one when it has not set its own. */
  async get(projectId: number, db: Database = this.db): Promise<Pipeline> {
    const [project] = await db.select({ id: projectTable.id }).from(projectTable).where(eq(projectTable.id, projectId));
    if (!project) throw new NotFoundError('project', projectId);
    const [row] = await db.select().from(pipelineTable).where(eq(pipelineTable.project_id, projectId));
    if (!row) {
      return { project_id: projectId, nodes: [...defaultPipeline], max_attempts: defaultMaxAttempts, check_timeout_seconds: defaultCheckTimeoutSeconds, is_default: true, updated_at: null };
    }
    return { project_id: projectId, nodes: row.nodes, max_attempts: row.max_attempts, check_timeout_seconds: row.check_timeout_seconds, is_default: false, updated_at: row.updated_at };
  }

  /**
   * Sets the project's pipeline. Roles are named as they are, or whatever their case; each at
   * most once. Tasks already on their way keep the pipeline they set off with.
   */
  async put(projectId: number, input: PipelineUpdate): Promise<Pipeline> {
    const names: string[] = [];
    for (const name of input.nodes) {
      const node = await this.nodes.find(name);
      if (names.includes(node.name)) {
        throw new UnprocessableError('duplicate_node', `The role "${node.name}" is in the pipeline twice: name each role once (a failing gate sends the task back to dev by itself).`, { node: node.name });
      }
      names.push(node.name);
    }
    refuseOutOfOrder(names);
    const current = await this.get(projectId);
    const values = {
      nodes: names,
      max_attempts: input.max_attempts ?? current.max_attempts,
      check_timeout_seconds: input.check_timeout_seconds ?? current.check_timeout_seconds,
      updated_at: new Date(),
    };
    await this.db
      .insert(pipelineTable)
      .values({ project_id: projectId, ...values })
      .onConflictDoUpdate({ target: pipelineTable.project_id, set: values });
    return this.get(projectId);
  }

  /** Refuses to delete a role a project's pipeline names. */
  async refuseIfUsed(db: Database, name: string): Promise<void> {
    const rows = await db.select({ project_id: pipelineTable.project_id, nodes: pipelineTable.nodes }).from(pipelineTable);
    const using = rows.filter((row) => row.nodes.includes(name)).map((row) => row.project_id);
    if (using.length === 0) return;
    throw new ConflictError(
      'node_in_use',
      `The pipeline of ${using.length === 1 ? 'project' : 'projects'} ${using.join(', ')} ${using.length === 1 ? 'names' : 'name'} the role "${name}": take it out (PUT /projects/{id}/pipeline) before deleting it.`,
      { projects: using },
    );
  }
}
