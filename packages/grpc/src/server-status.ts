import {
  type FaultlineError,
  GRPC_STATUS_DETAILS_KEY,
  type GrpcStatusPayload,
  toGrpcStatus,
  type WireOptions,
} from '@faultline/errors';
import { answerError } from '@faultline/errors/internal';
import { Metadata, type StatusObject } from '@grpc/grpc-js';
import type { Span } from '@opentelemetry/api';

export interface ServerErrorOptions extends WireOptions {
  /** Sees every error a handler answers with, after it is recorded (e.g. to log it). Must not throw. */
  onError?: (err: FaultlineError, method: string) => void;
  /**
   * `x-correlation-id` and (for a sampled server span) `traceresponse` in the trailers of every
   * answer, success or failure (default true; see correlation.ts).
   */
  traceResponse?: boolean;
}

/**
 * The error a wrapped handler answers with: a grpc-js status (code, details, trailers) that is
 * also shaped like an Error (`name`, `message`) for the tools that read it as one.
 */
export interface FaultlineServerStatus extends StatusObject {
  name: 'FaultlineError';
  message: string;
}

/**
 * Trailers bigger than ~8 KiB are refused by gRPC core clients (grpc.max_metadata_size), so the
 * status is made to fit: without DebugInfo first, then with a shorter message.
 */
const MAX_TRAILER_BYTES = 7 * 1024;
const SHORT_MESSAGE = 256;

/** How many bytes the status takes in trailers: base64 details plus the percent-encoded grpc-message. */
function wireSize(payload: GrpcStatusPayload): number {
  let message = 0;
  for (const byte of Buffer.from(payload.message))
    message += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? 1 : 3;
  return Math.ceil(payload.statusDetailsBin.length / 3) * 4 + message;
}

function fitted(err: FaultlineError, options: WireOptions): GrpcStatusPayload {
  const full = toGrpcStatus(err, options);
  if (wireSize(full) <= MAX_TRAILER_BYTES) return full;
  const plain = toGrpcStatus(err, { ...options, expose: false });
  if (wireSize(plain) <= MAX_TRAILER_BYTES) return plain;
  return toGrpcStatus(err.with({ message: err.message.slice(0, SHORT_MESSAGE) }), { expose: false });
}

export interface AnswerContext {
  /** The server span of the call (captured when the handler started). */
  span: Span | undefined;
  /** The method path, `/package.Service/Method`. */
  method: string;
  /** Trailers the handler passed along with its error; kept. */
  trailer?: Metadata | undefined;
}

/**
 * Turns whatever a handler threw or called back with into the status to answer: classified,
 * correlated with the trace, recorded on the server span, encoded as rich status details.
 */
export function answerFor(
  value: unknown,
  context: AnswerContext,
  options: ServerErrorOptions = {},
): { error: FaultlineError; status: FaultlineServerStatus } {
  const { error, wire: payload } = answerError(value, {
    span: context.span,
    wire: (err) => fitted(err, options),
    recordOptions: (answered) => ({
      grpcStatusCode: answered.code,
      ...(context.span === undefined ? { operation: context.method } : {}),
    }),
    onError: options.onError && ((err) => options.onError?.(err, context.method)),
  });
  const metadata = context.trailer?.clone() ?? new Metadata();
  metadata.set(GRPC_STATUS_DETAILS_KEY, Buffer.from(payload.statusDetailsBin));
  return {
    error,
    status: {
      name: 'FaultlineError',
      code: payload.code,
      details: payload.message,
      message: payload.message,
      metadata,
    },
  };
}
