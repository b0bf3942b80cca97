import { existsSync } from 'node:fs';
import { and, asc, count, eq, isNull, sql } from 'drizzle-orm';
import { ConflictError, InvalidInputError, NotFoundError } from '../core/errors.js';
import { maxId, type Page, type PageOf } from '../core/schema-helpers.js';
import type { ChangeFeed } from '../db/change-feed.js';
import { postgresConstraint, postgresErrorCode, uniqueViolation, type Database } from '../db/database.js';
import type { AttachmentService } from '../attachments/attachment.service.js';
import { lockProjectTasks } from '../tasks/task-lookup.js';
import type { WorkspaceRoot } from '../workspace/workspace-root.js';
import { storedProjectSettingsSchema, type Project, type ProjectCreate, type ProjectUpdate } from './project.schema.js';
import { projectTable, type ProjectRow } from './project.sql.js';

/** `patch` merged into `current`: its keys replace theirs, and a key set to null is removed. */
function merged(current: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const result = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = value;
  }
  return result;
}

/** A folder name from a project name: "My App!" -> "my-app". */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return slug.slice(0, 80) || 'project';
}

export class ProjectService {
  constructor(
    private readonly db: Database,
    private readonly workspaces: WorkspaceRoot,
    private readonly attachments: AttachmentService,
    private readonly feed: ChangeFeed,
    private readonly options: {
      /** Refuses (throws) to delete tasks something still works on: a running run. In the delete's transaction. */
      beforeDelete?: (db: Database, taskIds: readonly number[]) => Promise<void>;
    } = {},
  ) {}

  private present(row: ProjectRow): Project {
    return { ...row, workspace_dir: this.workspaces.pathOf(row.workspace_path) };
  }

  /** Projects in creation order; `name` finds one by name, whatever its case. */
  async list(query: Page & { name?: string }): Promise<PageOf<Project>> {
    const where = query.name === undefined ? undefined : sql`lower(${projectTable.name}) = lower(${query.name})`;
    const [rows, [total]] = await Promise.all([
      this.db.select().from(projectTable).where(where).orderBy(asc(projectTable.id)).limit(query.limit).offset(query.offset),
      this.db.select({ value: count() }).from(projectTable).where(where),
    ]);
    return { items: rows.map((row) => this.present(row)), total: total?.value ?? 0 };
  }

  async get(id: number): Promise<Project> {
    const [row] = await this.db.select().from(projectTable).where(eq(projectTable.id, id));
    if (!row) throw new NotFoundError('project', id);
    return this.present(row);
  }

  /** Finds a project by id or by name (case-insensitive), for the CLI. */
  async find(reference: string): Promise<Project> {
    if (/^\d+$/.test(reference) && Number(reference) <= maxId) {
      const [row] = await this.db.select().from(projectTable).where(eq(projectTable.id, Number(reference)));
      if (row) return this.present(row);
    }
    const [found] = (await this.list({ name: reference, limit: 1, offset: 0 })).items;
    if (!found) throw new NotFoundError('project', reference);
    return found;
  }

  /** The project whose folder is `relative` (as stored: relative to the workspaces dir), if any. */
  async findByWorkspace(relative: string): Promise<Project | undefined> {
    const [row] = await this.db.select().from(projectTable).where(eq(projectTable.workspace_path, relative));
    return row ? this.present(row) : undefined;
  }

  async create(input: ProjectCreate): Promise<Project> {
    const workspace = await this.workspaces.resolve(input.workspace_path ?? (await this.freeFolderName(input.name)));
    try {
      await this.refuseNestedWorkspace(workspace.relative);
      const [row] = await this.db
        .insert(projectTable)
        .values({
          name: input.name,
          workspace_path: workspace.relative,
          environment: input.environment ?? {},
          settings: merged({}, input.settings ?? {}),
          workspaces_id: await this.workspaces.id(),
        })
        .returning();
      this.feed.publish({ kind: 'project', op: 'created', id: row!.id });
      return this.present(row!);
    } catch (error) {
      await this.workspaces.discard(workspace);
      throw this.mapConflict(error, input.name, workspace.relative);
    }
  }

  /** A project's folder may not hold, or sit inside, another project's folder. */
  private async refuseNestedWorkspace(relative: string, exceptId?: number): Promise<void> {
    const rows = await this.db
      .select({ id: projectTable.id, name: projectTable.name, workspace_path: projectTable.workspace_path })
      .from(projectTable);
    const other = rows.find(
      (row) =>
        row.id !== exceptId &&
        (row.workspace_path.startsWith(`${relative}/`) || relative.startsWith(`${row.workspace_path}/`)),
    );
    if (other) {
      throw new ConflictError(
        'workspace_taken',
        `The folder "${relative}" and project "${other.name}"'s folder "${other.workspace_path}" would be inside one another. Give each project a folder of its own.`,
        { workspace_path: relative, project_id: other.id },
      );
    }
  }

  /** A folder name from the project's name that no project uses yet: "my-app", "my-app-2", ... */
  private async freeFolderName(name: string): Promise<string> {
    const base = slugify(name);
    const rows = await this.db
      .select({ workspace_path: projectTable.workspace_path })
      .from(projectTable)
      .where(sql`${projectTable.workspace_path} = ${base} or ${projectTable.workspace_path} like ${`${base}-%`}`);
    const taken = new Set(rows.map((row) => row.workspace_path));
    let candidate = base;
    for (let suffix = 2; taken.has(candidate); suffix++) candidate = `${base}-${suffix}`;
    return candidate;
  }

  async update(id: number, input: ProjectUpdate): Promise<Project> {
    await this.get(id);
    const workspace =
      input.workspace_path === undefined ? undefined : await this.workspaces.resolve(input.workspace_path);
    const workspacesId = workspace && (await this.workspaces.id());
    try {
      if (workspace) await this.refuseNestedWorkspace(workspace.relative, id);
      const row = await this.db.transaction(async (transaction) => {
        const db = transaction as unknown as Database;
        // Locked while the patch is merged in, so two PATCHes of different keys both hold.
        const [current] = await db.select().from(projectTable).where(eq(projectTable.id, id)).for('update');
        if (!current) throw new NotFoundError('project', id);
        const settings = input.settings === undefined ? undefined : merged(current.settings, input.settings);
        if (settings) {
          // The result as a whole (a remote with in-place runs, say); keys stored before they
          // were checked are kept, not held against this change.
          const checked = storedProjectSettingsSchema.safeParse(settings);
          if (!checked.success) {
            const issue = checked.error.issues[0]!;
            throw new InvalidInputError('invalid_settings', `settings.${issue.path.join('.')}: ${issue.message}.`, { setting: issue.path.join('.') });
          }
        }
        const [updated] = await db
          .update(projectTable)
          .set({
            ...(input.name !== undefined && { name: input.name }),
            // A folder given here is one this process sees: the project now lives in its workspaces dir.
            ...(workspace && { workspace_path: workspace.relative, workspaces_id: workspacesId }),
            ...(input.environment !== undefined && { environment: input.environment }),
            ...(settings && { settings }),
            updated_at: new Date(),
          })
          .where(eq(projectTable.id, id))
          .returning();
        return updated;
      });
      if (!row) throw new NotFoundError('project', id);
      this.feed.publish({ kind: 'project', op: 'updated', id });
      return this.present(row);
    } catch (error) {
      if (workspace) await this.workspaces.discard(workspace);
      throw this.mapConflict(error, input.name, workspace?.relative);
    }
  }

  /**
   * Projects made before workspaces dirs had ids belong to the first process that sees their
   * folder; answers how many it took. (A project of a dir that lost its id file is given back
   * to it by a PATCH of its workspace_path on a server that sees it.)
   */
  async adoptUnplaced(): Promise<number> {
    const rows = await this.db.select({ id: projectTable.id, workspace_path: projectTable.workspace_path }).from(projectTable).where(isNull(projectTable.workspaces_id));
    const id = await this.workspaces.id();
    let adopted = 0;
    for (const row of rows) {
      if (!existsSync(this.workspaces.pathOf(row.workspace_path))) continue;
      await this.db.update(projectTable).set({ workspaces_id: id }).where(and(eq(projectTable.id, row.id), isNull(projectTable.workspaces_id)));
      adopted++;
    }
    return adopted;
  }

  /** Removes the project, its tasks and their attachments; the workspace folder is left alone. */
  async delete(id: number): Promise<void> {
    const files = await this.db.transaction(async (transaction) => {
      const db = transaction as unknown as Database;
      const [project] = await db.select({ id: projectTable.id }).from(projectTable).where(eq(projectTable.id, id)).for('update');
      if (!project) throw new NotFoundError('project', id);
      const taskIds = await lockProjectTasks(db, id);
      await this.options.beforeDelete?.(db, taskIds);
      const names = await this.attachments.storedNamesOfTasks(db, taskIds);
      await db.delete(projectTable).where(eq(projectTable.id, id));
      return names;
    });
    this.feed.publish({ kind: 'project', op: 'deleted', id });
    await this.attachments.removeStoredFiles(files);
  }

  private mapConflict(error: unknown, name: string | undefined, workspacePath: string | undefined): unknown {
    if (postgresErrorCode(error) !== uniqueViolation) return error;
    if (postgresConstraint(error) === 'project_workspace_unique_idx') {
      return new ConflictError(
        'workspace_taken',
        `Another project already works in the folder "${workspacePath}". Give this project its own workspace_path.`,
        { workspace_path: workspacePath },
      );
    }
    return new ConflictError('project_name_taken', `A project named "${name}" already exists. Choose another name.`, { name });
  }
}
