// Marks the client spans an attempt makes with its number, instead of a span of our own per attempt.
// An instrumentation that propagates its CLIENT span must derive a context holding that span from
// the active one (trace.setSpan(context.active(), span)): instrumentation-http, -undici and -grpc
// all do. The attempt runs in an AttemptContext, whose setValue sees that span being set and marks
// it: `faultline.retry.attempt`, and `http.request.resend_count` (attempt - 1, from the second
// attempt on) on an HTTP client span, per the HTTP semantic conventions.
import { type Context, type Span, SpanKind } from '@opentelemetry/api';
import { SPAN } from './telemetry.js';

/** The key trace.setSpan uses (@opentelemetry/api creates it with Symbol.for). */
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');

interface SdkSpanShape {
  readonly kind?: SpanKind;
  readonly attributes?: Record<string, unknown>;
}

/** What one attempt marks on the client spans it makes. */
export class AttemptMark {
  /** Client spans marked so far (0: the attempt made none, e.g. a plain function). */
  clientSpans = 0;
  constructor(
    readonly attempt: number,
    /** Write http.request.resend_count even on spans whose attributes do not say HTTP. */
    readonly http: boolean,
  ) {}

  /** Marks `span` if it is a client (or producer) span; true when it did. */
  mark(span: Span): boolean {
    const { kind, attributes } = span as unknown as SdkSpanShape;
    if (kind !== undefined && kind !== SpanKind.CLIENT && kind !== SpanKind.PRODUCER) return false;
    if (!span.isRecording()) return true;
    this.clientSpans++;
    span.setAttribute(SPAN.ATTEMPT, this.attempt);
    if (this.attempt > 1) {
      const isHttp =
        this.http ||
        (attributes !== undefined &&
          (attributes['http.request.method'] !== undefined || attributes['http.method'] !== undefined));
      if (isHttp) span.setAttribute(SPAN.RESEND_COUNT, this.attempt - 1);
    }
    return true;
  }
}

/**
 * A context that marks the first client span set from it (or from the contexts derived from it
 * before that span) with the attempt. Everything else is the wrapped context's.
 */
export class AttemptContext implements Context {
  constructor(
    private readonly base: Context,
    private readonly attemptMark: AttemptMark,
  ) {}

  getValue(key: symbol): unknown {
    return this.base.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    const next = this.base.setValue(key, value);
    if (key === SPAN_KEY && value !== undefined && value !== null) {
      try {
        // Below a client span (its own children) nothing is an attempt of ours any more.
        if (this.attemptMark.mark(value as Span)) return next;
      } catch {
        // Telemetry never throws into the app.
      }
    }
    return new AttemptContext(next, this.attemptMark);
  }

  deleteValue(key: symbol): Context {
    return new AttemptContext(this.base.deleteValue(key), this.attemptMark);
  }
}
