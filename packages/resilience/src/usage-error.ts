// The usage errors of @faultline/resilience: its library codes and the class it raises them with.
import { FaultlineUsageError } from '@faultline/errors';
/**
 * Codes of the errors @faultline/resilience itself raises for a programming or configuration
 * mistake; the package README lists them (docs/error-codes.md merges them).
 */
export const LIBRARY_ERROR_CODES = {
  FAULTLINE_ERR_INVALID_POLICY_NAME:
    'A policy was created without a usable `name` (a non-empty string of at most 128 characters); name it after the dependency or operation it protects, e.g. `worker`.',
  FAULTLINE_ERR_INVALID_RETRY_OPTION:
    'retry() got an option it does not accept; the message names the option and the accepted values.',
  FAULTLINE_ERR_INVALID_BREAKER_OPTION:
    'circuitBreaker() got an option it does not accept; the message names the option and the accepted values.',
  FAULTLINE_ERR_DUPLICATE_BREAKER_NAME:
    'Two live circuit breakers share a name; a breaker must be one shared instance: create it once at module scope, or dispose() the old one first.',
  FAULTLINE_ERR_INVALID_TIMEOUT_OPTION:
    'timeout() got an option it does not accept; the message names the option and the accepted values.',
  FAULTLINE_ERR_INVALID_BULKHEAD_OPTION:
    'bulkhead() got an option it does not accept; the message names the option and the accepted values.',
  FAULTLINE_ERR_INVALID_FALLBACK_OPTION:
    'fallback() needs exactly one of `value` or `factory` (a function); `when` must be a function.',
  FAULTLINE_ERR_INVALID_HEALTH_OPTION:
    'health() or a ready handler got an option it does not accept; the message names the option and the accepted values.',
  FAULTLINE_ERR_INVALID_POLICY:
    'wrap() got something that is not a policy; pass policies made by this package (or cockatiel policies), outermost first.',
  FAULTLINE_ERR_INVALID_EXECUTE: 'execute() needs a function to run and, optionally, an AbortSignal.',
} as const;

export type ResilienceErrorCode = keyof typeof LIBRARY_ERROR_CODES;

/**
 * Raised by @faultline/resilience for a programming or configuration mistake, never for a failure of
 * the protected operation. `code` is stable; the message says what to do. Its name matches
 * @faultline/errors' FaultlineUsageError so logs and the classifier treat both alike.
 */
export class ResilienceUsageError extends FaultlineUsageError<ResilienceErrorCode> {}
