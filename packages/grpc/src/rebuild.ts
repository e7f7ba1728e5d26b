import { FaultlineError, type FaultlineErrorOptions } from '@faultline/errors';

/**
 * A copy of `err` with some fields replaced. FaultlineError fields are read-only by design, and
 * the wire decoders of @faultline/errors cannot be told the origin service or a shorter message.
 */
export function rebuild(err: FaultlineError, overrides: Partial<FaultlineErrorOptions>): FaultlineError {
  let cause: unknown;
  try {
    cause = err.cause;
  } catch {
    cause = undefined;
  }
  const stack = typeof err.stack === 'string' ? err.stack : undefined;
  return new FaultlineError({
    code: err.code,
    category: err.category,
    severity: err.severity,
    retryable: err.retryable,
    message: err.message,
    details: err.details,
    remote: err.remote,
    exceptionType: err.exceptionType,
    retryAfterMs: err.retryAfterMs,
    correlationId: err.correlationId,
    service: err.service,
    cause,
    ...(stack !== undefined ? { stack } : { captureStack: false }),
    ...overrides,
  });
}
