import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { PageOf } from '../core/schema-helpers.js';

export type App = FastifyInstance;
export const typed = (app: FastifyInstance) => app.withTypeProvider<ZodTypeProvider>();

/** Lists answer a JSON array; the total is in `X-Total-Count` so clients can page. */
export function sendPage<T>(reply: FastifyReply, page: PageOf<T>): T[] {
  reply.header('x-total-count', String(page.total));
  return page.items;
}
