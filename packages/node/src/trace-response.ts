import { CORRELATION_HEADER, TRACE_RESPONSE_HEADER, traceResponseOf } from '@faultline/errors';
import { isSpanContextValid, type Span } from '@opentelemetry/api';

interface HeaderTarget {
  headersSent?: boolean;
  setHeader(name: string, value: string): unknown;
  hasHeader?(name: string): boolean;
}

function isServerResponse(value: unknown): value is HeaderTarget {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as HeaderTarget).setHeader === 'function' &&
    (value as HeaderTarget).headersSent !== true
  );
}

/**
 * instrumentation-http's `responseHook` for the register: it runs when a SERVER span starts, before
 * the app writes anything, so every answer (success or failure, whichever framework) carries the
 * trace back to the caller:
 *  - `traceresponse` (W3C Trace Context Level 2: `00-<trace-id>-<span-id>-01`), only when the span
 *    is sampled: an unsampled trace is not recorded, and the header would point to nothing;
 *  - `x-correlation-id`, the trace ID, always: the service's log lines carry it even when the
 *    trace was not sampled, so the ID still finds them.
 * A header the app sets itself later wins (setHeader replaces); one it set before is kept.
 */
export function traceResponseHook(span: Span, response: unknown): void {
  try {
    if (!isServerResponse(response)) return;
    const context = span.spanContext();
    const value = traceResponseOf(context);
    if (value !== undefined && response.hasHeader?.(TRACE_RESPONSE_HEADER) !== true)
      response.setHeader(TRACE_RESPONSE_HEADER, value);
    if (isSpanContextValid(context) && response.hasHeader?.(CORRELATION_HEADER) !== true)
      response.setHeader(CORRELATION_HEADER, context.traceId);
  } catch {
    // Telemetry never throws into the app.
  }
}
