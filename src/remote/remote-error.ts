import { NonRetryableError } from '../shared/errors.js';
import type { RemoteFailure } from './protocol.js';

/**
 * An attempt's failure as the worker described it, rethrown on the coordinator so that the
 * journal records the same name, message, code and data as a local failure would. One the
 * worker marked as not worth retrying carries `NonRetryableError`'s brand, which is what the
 * attempt runner (and `instanceof` in every copy of this package) looks for.
 */
export function remoteError({ error, retryable }: RemoteFailure): Error {
  const rebuilt = Object.assign(new Error(error.message), error.data ?? {}) as Error & {
    code?: string;
  };
  rebuilt.name = error.name;
  if (error.code !== undefined) rebuilt.code = error.code;
  if (!retryable) {
    Object.defineProperty(rebuilt, Symbol.for(`plan-orchestrator/${NonRetryableError.name}`), {
      value: true,
    });
  }
  return rebuilt;
}
