import { CORRELATION_HEADER, TRACE_RESPONSE_HEADER, traceResponseOf } from '@faultline/errors';
import { isSpanContextValid, type Span, type SpanContext } from '@opentelemetry/api';

type OutgoingHeaders = Record<string, unknown>;

interface ServerResponseLike {
  headersSent?: boolean;
  setHeader(name: string, value: string): unknown;
  writeHead(statusCode: number, ...rest: unknown[]): unknown;
  hasHeader?(name: string): boolean;
  [PENDING]?: SpanContext | undefined;
}

/** The span context whose headers a response still has to carry (set at start, used at writeHead). */
const PENDING = Symbol('faultline.node.trace-response');

function isServerResponse(value: unknown): value is ServerResponseLike {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as ServerResponseLike).setHeader === 'function' &&
    typeof (value as ServerResponseLike).writeHead === 'function' &&
    (value as ServerResponseLike).headersSent !== true
  );
}

/**
 * instrumentation-http's `responseHook` for the register: it runs when a SERVER span starts, so
 * every answer (success or failure, whichever framework) carries the trace back to the caller:
 *  - `traceresponse` (W3C Trace Context Level 2: `00-<trace-id>-<span-id>-01`), only when the span
 *    is sampled: an unsampled trace is not recorded, and the header would point to nothing;
 *  - `x-correlation-id`, the trace ID, always: the service's log lines carry it even when the
 *    trace was not sampled, so the ID still finds them.
 * The headers are added when the response's head is written (`writeHead`, which Node also calls
 * for an implicit head), not with `setHeader` at the start: a response whose app writes its head
 * with a headers object then keeps Node's fast path (a `setHeader` before it makes Node validate
 * every header of that object again). A header the app sets itself wins.
 */
export function traceResponseHook(span: Span, response: unknown): void {
  try {
    if (!isServerResponse(response)) return;
    const context = span.spanContext();
    if (!isSpanContextValid(context)) return;
    response[PENDING] = context;
    patchWriteHead(response);
  } catch {
    // Telemetry never throws into the app.
  }
}

let lastPatched: object | undefined;
const patched = new WeakSet<object>();

/** Wraps writeHead of the response's class, once per class (ServerResponse, a framework's subclass). */
function patchWriteHead(response: ServerResponseLike): void {
  const proto = Object.getPrototypeOf(response) as ServerResponseLike | null;
  if (proto === null || proto === lastPatched) return;
  lastPatched = proto;
  if (patched.has(proto)) return;
  patched.add(proto);
  const original = proto.writeHead;
  proto.writeHead = function writeHead(this: ServerResponseLike, statusCode: number, ...rest: unknown[]) {
    const context = this[PENDING];
    if (context !== undefined) {
      this[PENDING] = undefined;
      try {
        const last = rest.length - 1;
        const given = rest[last];
        if (given !== null && typeof given === 'object' && !Array.isArray(given)) {
          // Ours first: the app's own keys (any case) come after and win.
          rest[last] = {
            ...correlationHeaders(context, given as OutgoingHeaders),
            ...(given as OutgoingHeaders),
          };
        } else {
          for (const [name, value] of Object.entries(correlationHeaders(context, undefined)))
            if (this.hasHeader?.(name) !== true) this.setHeader(name, value);
        }
      } catch {
        // Telemetry never throws into the app.
      }
    }
    return original.call(this, statusCode, ...rest);
  };
}

function correlationHeaders(
  context: SpanContext,
  given: OutgoingHeaders | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!has(given, CORRELATION_HEADER)) out[CORRELATION_HEADER] = context.traceId;
  const value = traceResponseOf(context);
  if (value !== undefined && !has(given, TRACE_RESPONSE_HEADER)) out[TRACE_RESPONSE_HEADER] = value;
  return out;
}

function has(headers: OutgoingHeaders | undefined, name: string): boolean {
  if (headers === undefined) return false;
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) return true;
  return false;
}
