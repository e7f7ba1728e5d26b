// The category policy: which failures are the caller's, whose messages may leave the process,
// and which gRPC codes fail a server. The recorder (record.ts), the wire codecs (problem.ts,
// grpc-status.ts) and @faultline/resilience (outcomes, circuit breaker) read it from here.
import { causeChain } from './chain.js';
import { faultlineConfig } from './config.js';
import type { FaultlineError } from './error.js';
import { GrpcCode } from './grpc-codes.js';
import { redact, redactBounded, redactValue } from './redact.js';
import { safeString, typeName } from './safe.js';
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
  // Redacted again: `message` is writable, so what the constructor redacted may have been replaced.
  if (expose || EXPOSED_MESSAGE_CATEGORIES.has(err.category)) return redact(err.message);
  return lookupErrorCode(err.code)?.description || err.code.replace(/_/g, ' ');
}

// What an exposed (development) answer adds, redacted exactly like messages: every line of the
// stack (its header repeats the raw message of the Error it was taken from, and a stack may hold
// `Caused by:` sections), each cause's message, and the details (`details` is a mutable object).

/** The stack for an exposed answer: redacted as a whole, then cut to `max` characters. */
export function exposedStack(err: FaultlineError, max: number): string | undefined {
  const stack = safeString(err, 'stack');
  if (!stack) return undefined;
  // A slightly larger window, so that a secret cut at the boundary is still recognised.
  return redact(stack.length > max ? stack.slice(0, max + 256) : stack).slice(0, max);
}

/** The causes below the error, root first excluded, with redacted messages. */
export function exposedCauses(err: FaultlineError): Array<{ type: string; message: string }> {
  const max = faultlineConfig().maxMessageLength;
  return causeChain(err)
    .slice(1)
    .map((link) => ({
      type: typeName(link.value),
      message: redactBounded(safeString(link.value, 'message') ?? '', max),
    }));
}

/** The details for an exposed answer: a redacted, bounded copy. */
export function exposedDetails(err: FaultlineError): Record<string, unknown> {
  const copy = redactValue(err.details);
  return copy !== null && typeof copy === 'object' && !Array.isArray(copy)
    ? (copy as Record<string, unknown>)
    : {};
}
