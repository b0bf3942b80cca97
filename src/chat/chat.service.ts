import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { NotFoundError } from '../core/errors.js';
import type { Page, PageOf } from '../core/schema-helpers.js';
import type { Database } from '../db/database.js';
import { projectTable } from '../projects/project.sql.js';
import type { ChatMessage, Conversation } from './chat.schema.js';
import { chatMessageTable, conversationTable, type ChatMessageRow } from './chat.sql.js';

function present(row: ChatMessageRow): ChatMessage {
  const { updated_at: _updated, ...rest } = row;
  return rest;
}

/** Conversations with the agent about a project, and their messages. */
export class ChatService {
  constructor(private readonly db: Database) {}

  async list(projectId: number, page: Page): Promise<PageOf<Conversation>> {
    await this.requireProject(projectId);
    const where = eq(conversationTable.project_id, projectId);
    const [items, [total]] = await Promise.all([
      this.db.select().from(conversationTable).where(where).orderBy(desc(conversationTable.updated_at), desc(conversationTable.id)).limit(page.limit).offset(page.offset),
      this.db.select({ value: sql<number>`count(*)::int` }).from(conversationTable).where(where),
    ]);
    return { items, total: total?.value ?? 0 };
  }

  async get(id: number): Promise<Conversation> {
    const [row] = await this.db.select().from(conversationTable).where(eq(conversationTable.id, id));
    if (!row) throw new NotFoundError('conversation', id);
    return row;
  }

  /** A conversation of this project: one of another project is not found here. */
  async ofProject(projectId: number, id: number): Promise<Conversation> {
    const [row] = await this.db
      .select()
      .from(conversationTable)
      .where(and(eq(conversationTable.id, id), eq(conversationTable.project_id, projectId)));
    if (!row) throw new NotFoundError('conversation', id, `Project ${projectId} has no conversation ${id}: GET /projects/${projectId}/chats lists its conversations.`);
    return row;
  }

  async messages(conversationId: number): Promise<ChatMessage[]> {
    const rows = await this.db.select().from(chatMessageTable).where(eq(chatMessageTable.conversation_id, conversationId)).orderBy(asc(chatMessageTable.id));
    return rows.map(present);
  }

  async start(projectId: number, title: string): Promise<Conversation> {
    await this.requireProject(projectId);
    const [row] = await this.db.insert(conversationTable).values({ project_id: projectId, title: title.replace(/\s+/g, ' ').trim().slice(0, 80) }).returning();
    return row!;
  }

  async add(
    conversationId: number,
    message: Pick<ChatMessage, 'role' | 'content'> & Partial<Pick<ChatMessage, 'images' | 'status' | 'model' | 'files_changed' | 'usage'>>,
  ): Promise<ChatMessage> {
    return this.db.transaction(async (transaction) => {
      const [row] = await transaction
        .insert(chatMessageTable)
        .values({
          conversation_id: conversationId,
          role: message.role,
          content: message.content,
          images: message.images ?? [],
          status: message.status ?? null,
          model: message.model ?? null,
          files_changed: message.files_changed ?? [],
          usage: message.usage ?? null,
        })
        .returning();
      await transaction.update(conversationTable).set({ updated_at: new Date() }).where(eq(conversationTable.id, conversationId));
      return present(row!);
    });
  }

  /** Records what the vision model saw in the images a user message came with. */
  async describeImages(messageId: number, images: ChatMessage['images']): Promise<ChatMessage> {
    const [row] = await this.db.update(chatMessageTable).set({ images, updated_at: new Date() }).where(eq(chatMessageTable.id, messageId)).returning();
    if (!row) throw new NotFoundError('chat message', messageId);
    return present(row);
  }

  async delete(id: number): Promise<void> {
    const rows = await this.db.delete(conversationTable).where(eq(conversationTable.id, id)).returning({ id: conversationTable.id });
    if (rows.length === 0) throw new NotFoundError('conversation', id);
  }

  private async requireProject(projectId: number): Promise<void> {
    const [row] = await this.db.select({ id: projectTable.id }).from(projectTable).where(eq(projectTable.id, projectId));
    if (!row) throw new NotFoundError('project', projectId);
  }
}
