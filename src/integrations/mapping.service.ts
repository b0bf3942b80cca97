import { and, asc, count, eq, inArray } from 'drizzle-orm';
import { NotFoundError, UnprocessableError } from '../core/errors.js';
import type { Database } from '../db/database.js';
import { projectTable } from '../projects/project.sql.js';
import type { CredentialService } from './credential.service.js';
import type { ExternalTaskListed, Mapping, MappingCreate } from './integration.schema.js';
import { trackerCredentialTable, trackerLinkTable, trackerMappingTable, type TrackerMappingRow } from './integration.sql.js';
import type { ExternalTaskSummary } from './tracker-provider.js';

/** The most tasks one list reads from a tracker (a hundred pages or so). */
export const maxListedTasks = 10_000;

const mappingNotFound = (id: number) => new NotFoundError('mapping', id, 'Check the id: GET /integrations/mappings lists them.');

/** Which tracker project goes into which wfhub project. */
export class MappingService {
  constructor(
    private readonly db: Database,
    private readonly credentials: CredentialService,
  ) {}

  async list(filter: { project_id?: number } = {}): Promise<Mapping[]> {
    const rows = await this.select(filter.project_id === undefined ? undefined : eq(trackerMappingTable.project_id, filter.project_id));
    return this.withCounts(rows);
  }

  async get(id: number): Promise<Mapping> {
    const [row] = await this.withCounts(await this.select(eq(trackerMappingTable.id, id)));
    if (!row) throw mappingNotFound(id);
    return row;
  }

  /** The mapping's row with its credential's provider, for the import and the sync. */
  async row(id: number): Promise<TrackerMappingRow & { provider: Mapping['provider'] }> {
    const [row] = await this.select(eq(trackerMappingTable.id, id));
    if (!row) throw mappingNotFound(id);
    return row;
  }

  /**
   * Checks the project on the tracker (it must be one the credential sees) and the wfhub project;
   * mapping the same pair again answers the mapping there is.
   */
  async create(input: MappingCreate): Promise<Mapping> {
    await this.credentials.get(input.credential_id);
    const [project] = await this.db.select({ id: projectTable.id }).from(projectTable).where(eq(projectTable.id, input.project_id));
    if (!project) throw new NotFoundError('project', input.project_id);
    const external = (await this.credentials.projects(input.credential_id)).find((item) => item.id === input.external_project_id);
    if (!external) {
      throw new UnprocessableError(
        'unknown_external_project',
        `The tracker has no project "${input.external_project_id}" that credential ${input.credential_id} can see. GET /integrations/credentials/${input.credential_id}/projects lists the ids.`,
        { external_project_id: input.external_project_id },
      );
    }
    const [row] = await this.db
      .insert(trackerMappingTable)
      .values({ ...input, external_project_name: external.name })
      .onConflictDoUpdate({
        target: [trackerMappingTable.credential_id, trackerMappingTable.external_project_id, trackerMappingTable.project_id],
        set: { external_project_name: external.name, updated_at: new Date() },
      })
      .returning({ id: trackerMappingTable.id });
    return this.get(row!.id);
  }

  /** Forgets the mapping; its tasks stay, no longer linked (a later import would make new ones). */
  async delete(id: number): Promise<void> {
    const [deleted] = await this.db.delete(trackerMappingTable).where(eq(trackerMappingTable.id, id)).returning({ id: trackerMappingTable.id });
    if (!deleted) throw mappingNotFound(id);
  }

  /** Every task of the tracker's project, each saying whether it is imported and as which task. */
  async externalTasks(id: number): Promise<ExternalTaskListed[]> {
    const mapping = await this.row(id);
    const listed = await this.listAll(mapping);
    const links = await this.linksOf(id, listed.map((task) => task.external_id));
    return listed.map((task) => {
      const taskId = links.get(task.external_id);
      // Only web links: the list's links are shown as they are.
      return { ...task, url: /^https?:\/\//i.test(task.url) ? task.url : '', imported: taskId !== undefined, task_id: taskId ?? null };
    });
  }

  /** Every page of the tracker's list, up to maxListedTasks. */
  async listAll(mapping: Pick<TrackerMappingRow, 'credential_id' | 'external_project_id'>): Promise<ExternalTaskSummary[]> {
    return this.credentials.use(mapping.credential_id, async (tracker) => {
      const tasks: ExternalTaskSummary[] = [];
      const seen = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await tracker.listTasks(mapping.external_project_id, cursor);
        // A task moved between pages while they were read shows up twice: it is listed once.
        for (const task of page.items) if (!seen.has(task.external_id)) seen.add(task.external_id) && tasks.push(task);
        cursor = page.next;
      } while (cursor && tasks.length < maxListedTasks);
      return tasks;
    });
  }

  private async linksOf(mappingId: number, externalIds: string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (let start = 0; start < externalIds.length; start += 1000) {
      const rows = await this.db
        .select({ external_id: trackerLinkTable.external_id, task_id: trackerLinkTable.task_id })
        .from(trackerLinkTable)
        .where(and(eq(trackerLinkTable.mapping_id, mappingId), inArray(trackerLinkTable.external_id, externalIds.slice(start, start + 1000))));
      for (const row of rows) found.set(row.external_id, row.task_id);
    }
    return found;
  }

  private select(where: ReturnType<typeof eq> | undefined) {
    return this.db
      .select({
        id: trackerMappingTable.id,
        credential_id: trackerMappingTable.credential_id,
        provider: trackerCredentialTable.provider,
        external_project_id: trackerMappingTable.external_project_id,
        external_project_name: trackerMappingTable.external_project_name,
        project_id: trackerMappingTable.project_id,
        created_at: trackerMappingTable.created_at,
        updated_at: trackerMappingTable.updated_at,
      })
      .from(trackerMappingTable)
      .innerJoin(trackerCredentialTable, eq(trackerCredentialTable.id, trackerMappingTable.credential_id))
      .where(where)
      .orderBy(asc(trackerMappingTable.id));
  }

  private async withCounts<T extends { id: number }>(rows: T[]): Promise<(T & { linked_tasks: number })[]> {
    if (rows.length === 0) return [];
    const counts = await this.db
      .select({ mapping_id: trackerLinkTable.mapping_id, value: count() })
      .from(trackerLinkTable)
      .where(inArray(trackerLinkTable.mapping_id, rows.map((row) => row.id)))
      .groupBy(trackerLinkTable.mapping_id);
    const byId = new Map(counts.map((row) => [row.mapping_id, row.value]));
    return rows.map((row) => ({ ...row, linked_tasks: byId.get(row.id) ?? 0 }));
  }
}
