import { asc, eq } from 'drizzle-orm';
import { NotFoundError } from '../core/errors.js';
import { maxId } from '../core/schema-helpers.js';
import type { Database } from '../db/database.js';
import type { Node } from './node.schema.js';
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
    if (!row) throw new NotFoundError('node', reference);
    return row;
  }
}
