// Whether another attempt is safe: an operation that is not idempotent is retried only when the
// failed attempt certainly did not reach the server.
import type { FaultlineError } from '@faultline/errors';

/** RFC 9110 §9.2.2: the safe methods, PUT and DELETE. */
const IDEMPOTENT_HTTP_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'PUT',
  'DELETE',
]);
/** google.protobuf.MethodOptions.IdempotencyLevel values that mean "may be repeated". */
const IDEMPOTENT_GRPC_LEVELS: ReadonlySet<unknown> = new Set(['IDEMPOTENT', 'NO_SIDE_EFFECTS', 1, 2]);

/** A gRPC method definition as @grpc/proto-loader gives it (its `options` carry idempotency_level). */
export interface MethodLike {
  readonly options?: { readonly idempotency_level?: unknown } | null;
}

/**
 * Whether an operation may be repeated: an HTTP method (idempotent per RFC 9110: GET, HEAD,
 * OPTIONS, TRACE, PUT, DELETE) or a gRPC method definition whose proto says
 * `option idempotency_level = IDEMPOTENT` (or NO_SIDE_EFFECTS). Anything else: false.
 */
export function isIdempotent(operation: unknown): boolean {
  if (typeof operation === 'string') return IDEMPOTENT_HTTP_METHODS.has(operation.toUpperCase());
  if (operation === null || typeof operation !== 'object') return false;
  try {
    return IDEMPOTENT_GRPC_LEVELS.has((operation as MethodLike).options?.idempotency_level);
  } catch {
    return false;
  }
}

/** Codes that say no connection was made: nothing was sent. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set(['connection_failed', 'dns_failure']);
/** Local rejections made before the call ran (an open breaker, a full bulkhead). */
const REJECTED_CODES: ReadonlySet<string> = new Set(['circuit_open', 'pool_saturated']);
/** grpc-js' status when its load-balancer picker has no connection: the call never left. */
const GRPC_NO_CONNECTION = /(^|: )No connection established/;

/**
 * True when the failed attempt certainly did not reach the server: the connection was refused or
 * never made (`connection_failed`, `dns_failure`), a breaker or bulkhead rejected the call before
 * it ran (`circuit_open`, `pool_saturated`), or grpc-js failed the call for want of a connection
 * (UNAVAILABLE "No connection established"). Timeouts, resets and answers may have been processed.
 */
export function notSent(err: FaultlineError): boolean {
  if (NOT_SENT_CODES.has(err.code) || REJECTED_CODES.has(err.code)) return true;
  const grpcMessage = err.details.grpcMessage;
  return (
    GRPC_NO_CONNECTION.test(err.message) ||
    (typeof grpcMessage === 'string' && GRPC_NO_CONNECTION.test(grpcMessage))
  );
}
