/**
 * Domain errors. Each has a stable machine `code`; the HTTP edge maps the class to a status in one
 * place (server/error-handler.ts), so nothing below the server knows about HTTP.
 */
export abstract class AppError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An AppError whose code is chosen where it is thrown; subclasses only name the kind. */
abstract class CodedError extends AppError {
  constructor(
    readonly code: string,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(message, details);
  }
}

/** Where to find the ones that exist, for the things not listed on a route of their own. */
const listHints: Record<string, string> = {
  run: "Check the id: GET /tasks/{id}/runs lists a task's runs.",
  item: 'Check the id in the path: it must be a positive whole number of an existing one.',
};

/** A thing named by id does not exist. */
export class NotFoundError extends AppError {
  override readonly name = 'NotFoundError';
  readonly code = 'not_found';
  constructor(
    readonly entity: string,
    readonly id: number | string,
    /** What to do instead, when the generic advice (list them) does not fit. */
    hint = listHints[entity] ?? `Check the id, or list ${entity}s to find it.`,
  ) {
    super(`${entity} ${id} does not exist. ${hint}`, { entity, id });
  }
}

/** What a request refers to was deleted while the request ran (a concurrent delete). */
export class ReferenceGoneError extends AppError {
  override readonly name = 'ReferenceGoneError';
  readonly code = 'not_found';
  constructor(options?: { cause?: unknown }) {
    super('Something this request refers to (a project, task or node) was deleted meanwhile. Reload and try again.', undefined, options);
  }
}

/** The input itself is wrong: a field, a path or a value that can never be accepted. */
export class InvalidInputError extends CodedError {
  override readonly name = 'InvalidInputError';
}

/** The request is well formed but breaks a rule of the domain (a parent cycle, say). */
export class UnprocessableError extends CodedError {
  override readonly name = 'UnprocessableError';
}

/** The request conflicts with the current state (a duplicate, a resource in use). */
export class ConflictError extends CodedError {
  override readonly name = 'ConflictError';
}

/** The request body is in a format this route does not take. */
export class UnsupportedMediaTypeError extends CodedError {
  override readonly name = 'UnsupportedMediaTypeError';
}

/** An upload or body is larger than the configured limit. */
export class TooLargeError extends AppError {
  override readonly name = 'TooLargeError';
  readonly code = 'payload_too_large';
}
