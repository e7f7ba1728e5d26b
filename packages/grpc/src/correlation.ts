import { CORRELATION_HEADER, TRACE_RESPONSE_HEADER, traceResponseOf } from '@faultline/errors';
import { Metadata } from '@grpc/grpc-js';
import { isSpanContextValid, type Span } from '@opentelemetry/api';

/**
 * The trailers of an answer with the trace named for the caller, as the register does for HTTP:
 * `x-correlation-id` (the trace ID) always, `traceresponse` (`00-<trace-id>-<span-id>-01`) only
 * when the server span is sampled (an unsampled trace is not recorded). Keys the handler set
 * itself are kept. Trailers, not initial metadata: a handler may still send its own headers, and
 * grpc-js sends them only once. Returns `trailer` (or a new Metadata) with the keys added.
 */
export function withCorrelation(trailer: Metadata | undefined, span: Span | undefined): Metadata | undefined {
  try {
    const context = span?.spanContext();
    if (context === undefined || !isSpanContextValid(context)) return trailer;
    const out = trailer ?? new Metadata();
    if (out.get(CORRELATION_HEADER).length === 0) out.set(CORRELATION_HEADER, context.traceId);
    const value = traceResponseOf(context);
    if (value !== undefined && out.get(TRACE_RESPONSE_HEADER).length === 0)
      out.set(TRACE_RESPONSE_HEADER, value);
    return out;
  } catch {
    // Telemetry never throws into the app.
    return trailer;
  }
}
