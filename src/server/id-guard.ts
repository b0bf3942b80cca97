import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../core/errors.js';
import { maxId } from '../core/schema-helpers.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What `:id` names on this route, for a "project 123 does not exist" message. */
    entity?: string;
  }
}

/** An id too large for the database cannot exist: answer 404 before any query. */
export function guardIds(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    const id = (request.params as { id?: unknown } | undefined)?.id;
    if (typeof id === 'string' && /^[0-9]+$/.test(id) && (Number(id) > maxId || Number(id) < 1)) {
      throw new NotFoundError(request.routeOptions.config.entity ?? 'item', id);
    }
  });
}
