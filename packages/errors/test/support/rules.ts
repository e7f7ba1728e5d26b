// Classifies a thrown value with toFaultlineError and keeps what the tests of the client-library
// rule families assert: code, category, severity, retryable, details and retry hint.
import { toFaultlineError } from '../../src/index.js';

export interface Classified {
  code: string;
  category: string;
  severity: string;
  retryable: boolean;
  details: Record<string, unknown>;
  retryAfterMs: number | undefined;
}

export function classify(value: unknown): Classified {
  const err = toFaultlineError(value);
  return {
    code: err.code,
    category: err.category,
    severity: err.severity,
    retryable: err.retryable,
    details: { ...err.details },
    retryAfterMs: err.retryAfterMs,
  };
}

/** What a synchronous call throws (the test fails if it does not). */
export function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('the call did not throw');
}

/** What an asynchronous call rejects with (the test fails if it does not). */
export async function thrown(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (err) {
    return err;
  }
  throw new Error('the call did not fail');
}
