import type { Multipart } from '@fastify/multipart';
import { z } from 'zod';
import type { Services } from '../../app/services.js';
import type { IncomingFile } from '../../attachments/attachment.service.js';
import { attachmentSchema } from '../../attachments/attachment.schema.js';
import { contentDisposition, isInlineImage } from '../../attachments/file-metadata.js';
import { AppError, InvalidInputError } from '../../core/errors.js';
import { pagingQuery } from '../../core/schema-helpers.js';
import { errorResponses, idParams } from '../http-schemas.js';
import { sendPage, typed, type App } from '../route-helpers.js';

/** Only files in fields named `file` are uploads; anything else is refused so typos are noticed. */
async function* uploadedFiles(parts: AsyncIterableIterator<Multipart>): AsyncGenerator<IncomingFile> {
  for await (const part of parts) {
    if (part.type !== 'file' || part.fieldname !== 'file') {
      if (part.type === 'file') part.file.resume();
      throw new InvalidInputError(
        'unexpected_field',
        `Unexpected form field "${part.fieldname}": send only files, each in a field named "file".`,
      );
    }
    yield { file_name: part.filename, content_type: part.mimetype, stream: part.file };
  }
}

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
      if (!request.isMultipart()) {
        throw new InvalidInputError(
          'multipart_required',
          'Upload files as multipart/form-data with the field "file" (curl -F file=@path).',
        );
      }
      const files = uploadedFiles(request.parts());
      let created;
      try {
        created = await attachments.upload(taskId, files);
      } catch (error) {
        // The multipart parser's own errors (no boundary, a body cut short, broken part headers)
        // carry no code; every other failure here does (ours, Fastify's, the file system's).
        if (error instanceof Error && !(error instanceof AppError) && (error as { code?: unknown }).code === undefined) {
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
      const { attachment, stream } = await attachments.download(Number(request.params.id));
      const inline = ['true', '1'].includes(request.query.inline ?? '') && isInlineImage(attachment.content_type);
      return reply
        .header('content-type', attachment.content_type)
        .header('content-length', String(attachment.size_bytes))
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
