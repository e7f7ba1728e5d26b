// The category policy: which failures are the caller's, whose messages may leave the process,
// and which gRPC codes fail a server. The recorder (record.ts), the wire codecs (problem.ts,
// grpc-status.ts) and @faultline/resilience (outcomes, circuit breaker) read it from here.
import { faultlineConfig } from './config.js';
import type { FaultlineError } from './error.js';
import { GrpcCode } from './grpc-codes.js';
import { type ErrorCategory, lookupErrorCode } from './taxonomy.js';

/** Failures that say the caller asked for something wrong (or gave up), not that anything is unwell. */
export const CALLER_FAULT_CATEGORIES: ReadonlySet<ErrorCategory> = new Set<ErrorCategory>([
  'validation',
  'authentication',
  'authorization',
  'not_found',
  'conflict',
  'cancelled',
]);

/** Operational categories whose message is meant for the caller: it may leave the process as is. */
export const EXPOSED_MESSAGE_CATEGORIES: ReadonlySet<ErrorCategory> = new Set<ErrorCategory>([
  ...CALLER_FAULT_CATEGORIES,
  'rate_limit',
  'timeout',
]);

/** gRPC codes that fail a SERVER span (semantic conventions); any other code is the caller's fault. */
export const GRPC_SERVER_FAILURE_CODES: ReadonlySet<number> = new Set<number>([
  GrpcCode.UNKNOWN,
  GrpcCode.DEADLINE_EXCEEDED,
  GrpcCode.UNIMPLEMENTED,
  GrpcCode.INTERNAL,
  GrpcCode.UNAVAILABLE,
  GrpcCode.DATA_LOSS,
]);

export interface WireOptions {
  /** Include debug details (stack, cause chain, details). Defaults to environment === 'development'. */
  expose?: boolean;
}

/** Whether an answer carries debug details: `options.expose`, else development mode. */
export function shouldExpose(options?: WireOptions): boolean {
  return options?.expose ?? faultlineConfig().environment === 'development';
}

/** The message an answer may carry: the error's own for caller-facing categories (or when exposing), else the code's description. */
export function safeMessage(err: FaultlineError, expose: boolean): string {
  if (expose || EXPOSED_MESSAGE_CATEGORIES.has(err.category)) return err.message;
  return lookupErrorCode(err.code)?.description || err.code.replace(/_/g, ' ');
}
