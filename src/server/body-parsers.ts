import type { FastifyInstance } from 'fastify';

/**
 * A JSON body is accepted whatever the content-type says: `curl -d '{...}'` sends
 * application/x-www-form-urlencoded, and many scripts send none or text/plain.
 * Multipart uploads keep their own parser.
 */
export function acceptJsonWhateverTheContentType(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  // An empty body is no body, whatever the content-type: many clients send application/json
  // with nothing after it. A route that needs a body says so.
  const parse: Parameters<FastifyInstance['addContentTypeParser']>[2] = (request, body, done) => {
    if (body === '') return (done as (error: Error | null, body?: unknown) => void)(null, undefined);
    return (parseJson as (...args: unknown[]) => void)(request, body, done);
  };
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parse);
  app.addContentTypeParser('*', { parseAs: 'string' }, parse);
}
