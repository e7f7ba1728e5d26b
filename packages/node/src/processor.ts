import {
  ATTR,
  codeForGrpcStatus,
  codeForHttpStatus,
  FaultlineError,
  toFaultlineError,
} from '@faultline/errors';
import {
  countError,
  errorAttributes,
  grpcCodeName,
  spanFailed,
  wasRecorded,
} from '@faultline/errors/internal';
import { type Attributes, type Context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace';
import type { ExceptionSignal } from './config.js';
import { emitExceptionLog, logsEnabled, wasLogged } from './exception-logs.js';
import type { OpenServerSpans } from './open-spans.js';

type MutableSpan = Span & { status: { code: SpanStatusCode; message?: string }; events: TimedEvent[] };

function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/**
 * Applies the @faultline/errors mapping to spans from upstream instrumentations while they can still
 * change: `onEnding` runs before the span is frozen (`onEnd` only sees a read-only span). It
 *  - corrects gRPC SERVER span status to the semantic-convention rule and writes
 *    `rpc.response.status_code` as the code name;
 *  - gives failed spans `error.type` and `faultline.error.*` (and counts them in faultline.errors)
 *    unless recordError already did;
 *  - moves or copies `exception` events to log records per OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN;
 *  - keeps the bounded set of open SERVER spans that a fatal exception ends (when given one).
 */
export class FaultlineSpanProcessor implements SpanProcessor {
  constructor(
    private readonly exceptionSignal: ExceptionSignal = 'events',
    private readonly openSpans?: OpenServerSpans,
  ) {}

  onStart(span: Span, _parentContext: Context): void {
    this.openSpans?.started(span);
  }

  onEnding(span: Span): void {
    this.openSpans?.ended(span);
    try {
      this.map(span as MutableSpan);
    } catch {
      // Telemetry never throws into the app.
    }
    if (logsEnabled(this.exceptionSignal)) {
      try {
        this.exceptionsToLogs(span as MutableSpan);
      } catch {
        // idem
      }
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  private map(span: MutableSpan): void {
    const attrs = span.attributes;
    const kind = span.kind;
    const isGrpc = attrs['rpc.system'] === 'grpc' || attrs['rpc.system.name'] === 'grpc';
    const grpcStatus = isGrpc
      ? (num(attrs['rpc.grpc.status_code']) ?? num(attrs[ATTR.RPC_RESPONSE_STATUS_CODE]))
      : undefined;
    const httpStatus = num(attrs['http.response.status_code'] ?? attrs['http.status_code']);

    let failed = span.status.code === SpanStatusCode.ERROR;
    let statusType: string | undefined;
    if (grpcStatus !== undefined) {
      statusType = grpcCodeName(grpcStatus);
      span.setAttribute(ATTR.RPC_RESPONSE_STATUS_CODE, statusType);
      failed = grpcStatus !== 0 && spanFailed(kind, { grpcStatusCode: grpcStatus });
      if (kind === SpanKind.SERVER && !failed && span.status.code === SpanStatusCode.ERROR) {
        // setStatus cannot lower ERROR back to UNSET; the span is still ours to correct until it ends.
        span.status = { code: SpanStatusCode.UNSET };
      }
    } else if (httpStatus !== undefined && httpStatus >= 400) {
      statusType = String(httpStatus);
      if (spanFailed(kind, { httpStatusCode: httpStatus })) failed = true;
      else if (kind === SpanKind.SERVER) failed = false;
    }
    // Recorded by recordError, or described by a Faultline library that set the attributes itself
    // (a resilience attempt span: a handled, retried error that must not be re-labelled or counted).
    const recorded = wasRecorded(span) || typeof attrs[ATTR.CODE] === 'string';
    if (recorded) {
      // recordError wrote error.type = the Faultline code, but an instrumentation may overwrite it
      // when the span ends (instrumentation-http sets the status code on 5xx server spans). The code
      // is the more precise type (DESIGN.md), so it wins.
      const code = attrs[ATTR.CODE];
      if (typeof code === 'string' && attrs[ATTR.ERROR_TYPE] !== code)
        span.setAttribute(ATTR.ERROR_TYPE, code);
    }
    if (!failed) return;
    if (span.status.code !== SpanStatusCode.ERROR) span.setStatus({ code: SpanStatusCode.ERROR });
    // Ended by a crash: the error is on the span already and the crash was counted once.
    if (recorded || this.openSpans?.wasCrashed(span)) return;

    const exception = lastException(span.events);
    let err: FaultlineError;
    if (exception) err = toFaultlineError(errorFromEvent(exception.attributes ?? {}));
    else if (grpcStatus !== undefined)
      err = new FaultlineError({
        code: codeForGrpcStatus(grpcStatus),
        message: span.status.message ?? statusType ?? '',
        captureStack: false,
      });
    else if (httpStatus !== undefined && httpStatus >= 400)
      err = new FaultlineError({
        code: codeForHttpStatus(httpStatus) ?? 'internal_error',
        message: `HTTP ${httpStatus}`,
        captureStack: false,
      });
    else err = toFaultlineError(new Error(span.status.message || `${span.name} failed`));

    const attributes: Attributes = errorAttributes(err);
    // Semantic conventions: with no exception, error.type is the status code (as a string).
    if (!exception) {
      const existing = attrs[ATTR.ERROR_TYPE];
      attributes[ATTR.ERROR_TYPE] = statusType ?? (typeof existing === 'string' ? existing : err.code);
    }
    span.setAttributes(attributes);
    countError(err, span.name);
  }

  private exceptionsToLogs(span: MutableSpan): void {
    const keep: TimedEvent[] = [];
    let moved = false;
    for (const event of span.events) {
      if (event.name !== 'exception') {
        keep.push(event);
        continue;
      }
      const attributes = event.attributes ?? {};
      if (!wasLogged(span, attributes)) {
        emitExceptionLog({ ...attributes, ...faultlineAttributes(span.attributes) }, span);
      }
      if (this.exceptionSignal === 'logs') moved = true;
      else keep.push(event);
    }
    if (moved) span.events.splice(0, span.events.length, ...keep);
  }
}

function faultlineAttributes(attrs: Attributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attrs)) {
    if (key === ATTR.ERROR_TYPE || key.startsWith('faultline.error.')) out[key] = value;
  }
  return out;
}

function lastException(events: readonly TimedEvent[]): TimedEvent | undefined {
  for (let i = events.length - 1; i >= 0; i--) if (events[i]?.name === 'exception') return events[i];
  return undefined;
}

/** An Error shaped like the one the instrumentation saw, so the classifier can read its code. */
function errorFromEvent(attributes: Attributes): Error {
  const type = String(attributes['exception.type'] ?? 'Error');
  const message = String(attributes['exception.message'] ?? '');
  const err = new Error(message);
  Object.defineProperty(err, 'name', { value: /^[A-Za-z_$][\w$]*$/.test(type) ? type : 'Error' });
  const stack = attributes['exception.stacktrace'];
  if (typeof stack === 'string') err.stack = stack;
  // Node system and undici errors name their code in the message (connect ECONNREFUSED 127.0.0.1:1).
  const code = /^[A-Z][A-Z0-9_]{2,}$/.test(type)
    ? type
    : /\b(E[A-Z]{3,}|UND_ERR_[A-Z_]+|ERR_[A-Z_]+)\b/.exec(message)?.[1];
  if (code) Object.defineProperty(err, 'code', { value: code });
  return err;
}
