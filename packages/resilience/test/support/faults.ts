import { FaultlineError } from '@faultline/errors';
import { vi } from 'vitest';

/** A retryable failure (network, as ECONNREFUSED classifies). */
export function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:50051'), { code: 'ECONNREFUSED' });
}

/** A failure the taxonomy says not to retry. */
export function invalid(): FaultlineError {
  return new FaultlineError({ code: 'invalid_params', message: 'amount must be positive' });
}

/** A retryable failure carrying a server hint (gRPC RetryInfo / HTTP Retry-After). */
export function rateLimited(retryAfterMs: number): FaultlineError {
  return new FaultlineError({ code: 'rate_limited', message: 'slow down', retryAfterMs });
}

/** A function that fails with the given errors in turn, then answers `value`; counts its calls. */
export function flaky<T>(failures: unknown[], value: T) {
  const fn = Object.assign(
    async () => {
      const n = fn.calls++;
      if (n < failures.length) throw failures[n];
      return value;
    },
    { calls: 0 },
  );
  return fn;
}

let unique = 0;
/** Policy names unique within a test file (metrics are cumulative per name for the process). */
export function uniqueName(prefix: string): string {
  unique++;
  return `${prefix}-${unique}`;
}

/** Settles a policy call under fake timers: runs every timer, then answers its value or error. */
export async function runToEnd<T>(
  promise: Promise<T>,
): Promise<{ value: T | undefined; error: FaultlineError | undefined }> {
  const settled = promise.then(
    (value) => ({ value, error: undefined }),
    (error: FaultlineError) => ({ value: undefined, error }),
  );
  await vi.runAllTimersAsync();
  return settled;
}
