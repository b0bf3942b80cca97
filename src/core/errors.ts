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

/** A thing named by id does not exist. */
export class NotFoundError extends AppError {
  override readonly name = 'NotFoundError';
  readonly code = 'not_found';
  constructor(
    readonly entity: string,
    readonly id: number | string,
  ) {
    super(`${entity} ${id} does not exist. Check the id, or list ${entity}s to find it.`, { entity, id });
  }
}

/** The request is well formed but breaks a rule of the domain (a parent cycle, say). */
export class UnprocessableError extends AppError {
  override readonly name = 'UnprocessableError';
  constructor(
    readonly code: string,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(message, details);
  }
}

/** The input itself is wrong: a field, a path or a value that can never be accepted. */
export class InvalidInputError extends AppError {
  override readonly name = 'InvalidInputError';
  constructor(
    readonly code: string,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(message, details);
  }
}

/** The request conflicts with the current state (a duplicate, a resource in use). */
export class ConflictError extends AppError {
  override readonly name = 'ConflictError';
  constructor(
    readonly code: string,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(message, details);
  }
}

/** An upload or body is larger than the configured limit. */
export class TooLargeError extends AppError {
  override readonly name = 'TooLargeError';
  readonly code = 'payload_too_large';
  constructor(message: string, details?: Record<string, unknown>) {
    super(message, details);
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

/** The request body is in a format this route does not take. */
export class UnsupportedMediaTypeError extends AppError {
  override readonly name = 'UnsupportedMediaTypeError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
