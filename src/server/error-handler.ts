import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import {
  AppError,
  ConflictError,
  InvalidInputError,
  NotFoundError,
  ReferenceGoneError,
  TooLargeError,
  UnprocessableError,
  UnsupportedMediaTypeError,
} from '../core/errors.js';
import { fromConstraintViolation } from '../db/database-errors.js';
import { LlmError } from '../agent/llm/llm-error.js';
import { ToolError } from '../agent/tools/tool.js';
import { GitError } from '../workspace/git.js';
import { TrackerError, type TrackerErrorCode } from '../integrations/tracker-error.js';
import { errorBody } from './http-schemas.js';
import { closeAfterAnswer } from './websocket-upgrades.js';

/** The one place where a domain error becomes an HTTP status. */
const statusOf = new Map<Function, number>([
  [InvalidInputError, 400],
  [NotFoundError, 404],
  [ReferenceGoneError, 404],
  [ConflictError, 409],
  [TooLargeError, 413],
  [UnsupportedMediaTypeError, 415],
  [UnprocessableError, 422],
]);

/**
 * A tool's refusal: the request named something wrong (400), something missing (404), or asked
 * for something the file does not allow, such as an edit that matches nothing (422). A sandbox
 * that cannot run is the server's setup, not the request: 503.
 */
const toolErrorStatus: Record<string, number> = {
  invalid_arguments: 400,
  invalid_path: 400,
  outside_workspace: 400,
  protected_path: 400,
  invalid_pattern: 400,
  is_directory: 400,
  not_a_file: 400,
  unknown_tool: 404,
  not_found: 404,
  sandbox_unavailable: 503,
  disk_full: 507,
  busy: 503,
  command_failed_to_start: 503,
};

/** A model server's failure is a bad gateway; its timeouts are a gateway timeout. */
function llmErrorStatus(error: LlmError): number {
  if (error.code === 'llm_model_not_found') return 404;
  if (error.code.endsWith('_timeout')) return 504;
  return 502;
}

/**
 * A tracker's answer. A token it refuses is the request's fault (422), never 401, which is
 * wfhub's own token; a tracker that is down is a bad gateway.
 */
const trackerErrorStatus: Record<TrackerErrorCode, number> = {
  tracker_unauthorized: 422,
  tracker_not_found: 404,
  tracker_rate_limited: 429,
  tracker_rejected: 422,
  tracker_unavailable: 502,
};

/** Fastify's and its plugins' own errors, by code: status and a message that says what to do. */
const frameworkErrors: Record<string, [number, string, string]> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'empty_body', 'The request has a JSON content-type but no body. Send a JSON object.'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json', 'The body is not valid JSON. Send a JSON object (uploads: multipart/form-data).'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large', 'The request body is too large (4 MiB at most; a chat message with its images 32 MiB: scale images down first).'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_content_length', 'The Content-Length does not match the body.'],
  FST_REQ_FILE_TOO_LARGE: [413, 'payload_too_large', 'A file is larger than ATTACHMENT_MAX_BYTES allows.'],
  FST_FILES_LIMIT: [413, 'too_many_files', 'Too many files in one upload; send fewer at a time.'],
  FST_PARTS_LIMIT: [413, 'too_many_parts', 'Too many parts in one upload; send fewer at a time.'],
  FST_FIELDS_LIMIT: [413, 'too_many_fields', 'Too many form fields in one upload.'],
  FST_PROTO_VIOLATION: [400, 'invalid_body', 'The body uses a forbidden property name.'],
  FST_ERR_BAD_URL: [400, 'bad_url', 'The URL is malformed (check its percent-encoding).'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'uri_too_long', 'A value in the path is too long.'],
};

/** Fastify's router answers some errors before any handler runs; they get the same shape. */
export function frameworkErrorResponse(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const known = error.code ? frameworkErrors[error.code] : undefined;
  const [status, code, message] = known ?? [400, 'bad_request', 'The request is malformed.'];
  // Answered before any hook runs: an upgrade's socket is closed here (see closeAfterAnswer).
  closeAfterAnswer(request, reply);
  void reply.status(status).send(errorBody(code, message));
}

/** Requests Node's HTTP parser refuses before Fastify sees them, by the parser's code. */
const clientErrors: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'The request headers are too large (16 KiB at most, cookies included). Send fewer or shorter headers.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'The request took too long to arrive. Send it again.'],
};

/**
 * A request too malformed to parse (headers too large, a broken request line) still gets an
 * answer in the error shape, written on the socket as Node would, then the connection closes.
 */
export function clientErrorResponse(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = (error.code && clientErrors[error.code]) || [400, 'bad_request', 'The request is malformed HTTP.'];
  const body = JSON.stringify(errorBody(code, message));
  // Never into the middle of an answer already on the wire on this connection (keep-alive), as
  // Node itself does.
  const answering = (socket as Socket & { _httpMessage?: { _headerSent?: boolean } | null })._httpMessage;
  if (socket.writable && !answering?._headerSent) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}

function describeValidation(error: FastifyError): { message: string; issues: { path: string; message: string }[] } {
  const where = error.validationContext ?? 'request';
  const issues = (error.validation ?? []).map((issue) => {
    const path = [where, ...String(issue.instancePath ?? '').split('/').filter(Boolean)].join('.');
    return { path, message: issue.message ?? 'is invalid' };
  });
  const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
  return { message: `Invalid ${where}: ${summary}. See /docs for this route's schema.`, issues };
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((caught: FastifyError | AppError, request, reply) => {
    const thrown = fromConstraintViolation(caught) ?? caught;
    if (thrown instanceof AppError) {
      const status = statusOf.get(thrown.constructor) ?? 400;
      return reply.status(status).send(errorBody(thrown.code, thrown.message, thrown.details));
    }
    if (thrown instanceof ToolError) {
      return reply.status(toolErrorStatus[thrown.code] ?? 422).send(errorBody(thrown.code, thrown.message, thrown.details as Record<string, unknown>));
    }
    if (thrown instanceof GitError) {
      // The workspace's repository is in a state git refuses (a lock left behind, a broken ref).
      return reply.status(409).send(errorBody('git_failed', `${thrown.message}. Fix the repository in the workspace (git status there says more), then try again.`));
    }
    if (thrown instanceof TrackerError) {
      const { retryAfterMs, provider, status } = thrown.details;
      if (retryAfterMs !== undefined) void reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
      return reply.status(trackerErrorStatus[thrown.code]).send(errorBody(thrown.code, thrown.message, { provider, ...(status !== undefined && { tracker_status: status }) }));
    }
    if (thrown instanceof LlmError) {
      return reply.status(llmErrorStatus(thrown)).send(errorBody(thrown.code, thrown.message));
    }
    const error = thrown as FastifyError;
    if (hasZodFastifySchemaValidationErrors(error) || error.validation) {
      const { message, issues } = describeValidation(error);
      return reply.status(400).send(errorBody('invalid_request', message, { issues }));
    }
    const known = error.code ? frameworkErrors[error.code] : undefined;
    if (known) {
      const [status, code, message] = known;
      return reply.status(status).send(errorBody(code, message));
    }
    if (error instanceof SyntaxError) {
      return reply
        .status(400)
        .send(errorBody('invalid_json', `The body is not accepted as JSON (${error.message}). Send a JSON object.`));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = (error.code ?? 'bad_request').toLowerCase();
      return reply.status(status).send(errorBody(code, error.message));
    }
    request.log.error({ err: error }, 'request failed');
    return reply
      .status(500)
      .send(errorBody('internal_error', `Something went wrong on the server. The log has the details under request id ${request.id}.`));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    reply
      .status(404)
      .send(errorBody('route_not_found', `There is no ${request.method} ${path}. The API is described at /docs.`));
  });
}
