import type { Readable } from 'node:stream';
import type { Multipart } from '@fastify/multipart';
import { z } from 'zod';
import type { Services } from '../../app/services.js';
import type { IncomingFile } from '../../attachments/attachment.service.js';
import { attachmentSchema } from '../../attachments/attachment.schema.js';
import { contentDisposition, isInlineImage } from '../../attachments/file-metadata.js';
import { AppError, InvalidInputError, UnsupportedMediaTypeError } from '../../core/errors.js';
import { pagingQuery } from '../../core/schema-helpers.js';
import { errorResponses, idParams } from '../http-schemas.js';
import { sendPage, typed, type App } from '../route-helpers.js';

/**
 * The files of a multipart request. Only files in fields named `file` are uploads; anything else
 * is refused so typos are noticed. It also tells the multipart parser's own errors (no boundary,
 * a body cut short, broken part headers: the client's fault) from every other failure.
 */
class MultipartFiles {
  private readonly streams: Readable[] = [];
  private readonly iteratorErrors = new WeakSet<object>();

  constructor(private readonly parts: AsyncIterableIterator<Multipart>) {}

  async *files(): AsyncGenerator<IncomingFile> {
    for (;;) {
      let next: IteratorResult<Multipart>;
      try {
        next = await this.parts.next();
      } catch (error) {
        if (error instanceof Error) this.iteratorErrors.add(error);
        throw error;
      }
      if (next.done) return;
      const part = next.value;
      if (part.type !== 'file' || part.fieldname !== 'file') {
        if (part.type === 'file') part.file.resume();
        throw new InvalidInputError(
          'unexpected_field',
          `Unexpected form field "${part.fieldname}": send only files, each in a field named "file".`,
        );
      }
      this.streams.push(part.file);
      yield { file_name: part.filename, content_type: part.mimetype, stream: part.file };
    }
  }

  /** The parser's errors carry no code; ours, Fastify's and the file system's all do. */
  isParserError(error: unknown): error is Error {
    if (!(error instanceof Error) || error instanceof AppError || (error as { code?: unknown }).code !== undefined) {
      return false;
    }
    // A file stream can fail before anyone listens (the whole body may arrive at once), so the
    // error is recognised as the one a stream ended with.
    return this.iteratorErrors.has(error) || this.streams.some((stream) => stream.errored === error);
  }
}

const multipartRequired = () =>
  new UnsupportedMediaTypeError(
    'multipart_required',
    'Upload files as multipart/form-data with the field "file" (curl -F file=@path).',
  );

export function attachmentRoutes(app: App, services: Services) {
  const { attachments } = services;
  const route = typed(app);
  const tags = ['attachments'];

  route.get('/tasks/:id/attachments', {
    config: { entity: 'task' },
    schema: {
      tags,
      summary: "List a task's attachments",
      params: idParams,
      querystring: z.object(pagingQuery),
      response: { 200: z.array(attachmentSchema), ...errorResponses },
    },
    handler: async (request, reply) => sendPage(reply, await attachments.list(Number(request.params.id), request.query)),
  });

  route.post('/tasks/:id/attachments', {
    config: { entity: 'task' },
    // Refused before the body is read: any other content-type would be parsed as JSON first.
    onRequest: async (request) => {
      if (!/^multipart\/form-data\b/i.test(request.headers['content-type'] ?? '')) throw multipartRequired();
    },
    schema: {
      tags,
      summary: 'Upload files (multipart/form-data, field "file", several at once)',
      description: `Each file may be at most ATTACHMENT_MAX_BYTES (${services.config.attachmentMaxBytes} bytes); a larger one fails the whole upload with 413 and nothing is stored.`,
      params: idParams,
      consumes: ['multipart/form-data'],
      response: { 201: z.array(attachmentSchema), ...errorResponses },
    },
    handler: async (request, reply) => {
      const taskId = Number(request.params.id);
      const multipart = new MultipartFiles(request.parts());
      let created;
      try {
        created = await attachments.upload(taskId, multipart.files());
      } catch (error) {
        if (multipart.isParserError(error)) {
          throw new InvalidInputError(
            'malformed_multipart',
            `The upload is not well-formed multipart/form-data (${error.message}). Send files with curl -F file=@path or a browser form.`,
          );
        }
        throw error;
      }
      if (created.length === 0) {
        throw new InvalidInputError('no_files', 'The upload has no files: send each one in a field named "file".');
      }
      return reply.status(201).send(created);
    },
  });

  route.get('/attachments/:id/download', {
    config: { entity: 'attachment' },
    schema: {
      tags,
      summary: "Download an attachment's file",
      description: 'Add ?inline=true to show a raster image in the browser; everything else downloads.',
      params: idParams,
      querystring: z.object({ inline: z.enum(['true', 'false', '1', '0']).optional() }),
    },
    handler: async (request, reply) => {
      const { attachment, stream, size } = await attachments.download(Number(request.params.id));
      const inline = ['true', '1'].includes(request.query.inline ?? '') && isInlineImage(attachment.content_type);
      return reply
        .header('content-type', attachment.content_type)
        .header('content-length', String(size))
        .header('content-disposition', contentDisposition(inline ? 'inline' : 'attachment', attachment.file_name))
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .send(stream);
    },
  });

  route.delete('/attachments/:id', {
    config: { entity: 'attachment' },
    schema: { tags, summary: 'Delete an attachment and its file', params: idParams, response: { 204: z.null(), ...errorResponses } },
    handler: async (request, reply) => {
      await attachments.delete(Number(request.params.id));
      return reply.status(204).send(null);
    },
  });
}
