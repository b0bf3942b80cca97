import { asc, eq } from 'drizzle-orm';
import { NotFoundError } from '../core/errors.js';
import { maxId } from '../core/schema-helpers.js';
import type { Database } from '../db/database.js';
import type { Node, NodeUpdate } from './node.schema.js';
import { nodeTable } from './node.sql.js';

export class NodeService {
  constructor(private readonly db: Database) {}

  list(): Promise<Node[]> {
    return this.db.select().from(nodeTable).orderBy(asc(nodeTable.id));
  }

  async get(id: number): Promise<Node> {
    if (!Number.isInteger(id) || id < 1 || id > maxId) throw new NotFoundError('node', id);
    const [row] = await this.db.select().from(nodeTable).where(eq(nodeTable.id, id));
    if (!row) throw new NotFoundError('node', id);
    return row;
  }

  /** A node named by id or by name (`dev`). */
  async find(reference: number | string): Promise<Node> {
    if (typeof reference === 'number') return this.get(reference);
    const [row] = await this.db.select().from(nodeTable).where(eq(nodeTable.name, reference));
    if (row) return row;
    // Names are matched exactly first (they are unique as written), then whatever their case.
    const all = await this.list();
    const folded = all.filter((node) => node.name.toLowerCase() === reference.toLowerCase());
    if (folded.length === 1) return folded[0]!;
    throw new NotFoundError('node', reference, `The roles are: ${all.map((node) => node.name).join(', ')}.`);
  }

  /** Changes a role's directive, model or limits; fields left out stay as they are. */
  async update(id: number, input: NodeUpdate): Promise<Node> {
    const current = await this.get(id);
    const changes = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
    if (Object.keys(changes).length === 0) return current;
    const [row] = await this.db
      .update(nodeTable)
      .set({ ...changes, updated_at: new Date() })
      .where(eq(nodeTable.id, id))
      .returning();
    if (!row) throw new NotFoundError('node', id);
    return row;
  }
}
