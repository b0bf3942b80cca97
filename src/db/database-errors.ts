import { ConflictError, ReferenceGoneError, type AppError } from '../core/errors.js';
import { foreignKeyViolation, postgresErrorCode, uniqueViolation } from './database.js';

/**
 * Constraint violations that a concurrent request can cause even though the service checked
 * first (a task deleted between the check and an insert): they are the client's 4xx, not a fault.
 */
export function fromConstraintViolation(error: unknown): AppError | undefined {
  switch (postgresErrorCode(error)) {
    case foreignKeyViolation:
      return new ReferenceGoneError({ cause: error });
    case uniqueViolation:
      return new ConflictError('conflict', 'This conflicts with something created meanwhile. Reload and try again.');
    default:
      return undefined;
  }
}
