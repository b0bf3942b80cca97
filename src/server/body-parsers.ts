import type { FastifyInstance } from 'fastify';

/**
 * A JSON body is accepted whatever the content-type says: `curl -d '{...}'` sends
 * application/x-www-form-urlencoded, and many scripts send none or text/plain.
 * Multipart uploads keep their own parser.
 */
export function acceptJsonWhateverTheContentType(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['text/plain']);
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJson);
}
