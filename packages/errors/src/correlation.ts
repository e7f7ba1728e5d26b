import { randomBytes } from 'node:crypto';
import { isSpanContextValid, type SpanContext, TraceFlags, trace } from '@opentelemetry/api';

const INVALID_TRACE_ID = '00000000000000000000000000000000';

/**
 * The correlation ID is the trace ID: the active span's, so one ID finds the trace, the logs
 * and the dashboard row. Without an active span, a fresh random W3C-shaped trace ID.
 */
export function correlationId(): string {
  const id = trace.getActiveSpan()?.spanContext().traceId;
  if (id && id !== INVALID_TRACE_ID) return id;
  return randomTraceId();
}

export function randomTraceId(): string {
  let id: string;
  do id = randomBytes(16).toString('hex');
  while (id === INVALID_TRACE_ID);
  return id;
}

/** The response header (HTTP) and metadata key (gRPC) that carry the correlation ID back to the caller. */
export const CORRELATION_HEADER = 'x-correlation-id';

/** The W3C Trace Context Level 2 response header: the trace and span that answered. */
export const TRACE_RESPONSE_HEADER = 'traceresponse';

/**
 * The `traceresponse` value for a span (`00-<trace-id>-<span-id>-<flags>`), or undefined when the
 * span is not sampled: its trace is not recorded, so the header would point to nothing.
 */
export function traceResponseOf(context: SpanContext): string | undefined {
  if (!isSpanContextValid(context) || (context.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  return `00-${context.traceId}-${context.spanId}-01`;
}

/** A correlation ID that may become a response header or metadata value, and be read back from one. */
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** A service name as it may travel on the wire (problem+json body, gRPC ErrorInfo metadata). */
const SERVICE_NAME = /^[\w.@/:-]{1,128}$/;

/** True for a correlation ID safe to put in (or take from) a header. */
export function isWireCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && CORRELATION_ID.test(value);
}

/** True for a service name safe to put in (or take from) an answer. */
export function isWireServiceName(value: unknown): value is string {
  return typeof value === 'string' && SERVICE_NAME.test(value);
}
