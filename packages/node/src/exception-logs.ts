import { ATTR, type ExceptionLogRecord } from '@faultline/errors';
import { type Attributes, context, logs, SeverityNumber, type Span, trace } from '@opentelemetry/api';
import type { ExceptionSignal } from './config.js';

const LOGGER_NAME = '@faultline/node';

/**
 * OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN, the log side: an exception becomes an OTel log record
 * carrying the exception.* attributes (semantic conventions for exceptions in logs), emitted in
 * the context of its span so trace_id/span_id link the two. Severity ERROR; FATAL when the
 * exception ends the process.
 */
export function emitExceptionLog(
  attributes: Attributes,
  span: Span | undefined,
  severity: 'ERROR' | 'FATAL' = 'ERROR',
): void {
  try {
    const ctx = span ? trace.setSpan(context.active(), span) : context.active();
    logs.getLogger(LOGGER_NAME).emit({
      eventName: 'exception',
      severityNumber: severity === 'FATAL' ? SeverityNumber.FATAL : SeverityNumber.ERROR,
      severityText: severity,
      body: String(attributes[ATTR.EXCEPTION_MESSAGE] ?? attributes[ATTR.EXCEPTION_TYPE] ?? 'exception'),
      attributes,
      context: ctx,
    });
  } catch {
    // Telemetry never throws into the app.
  }
}

/** Remembers which exceptions recordError already sent as logs, so the span processor does not repeat them. */
const logged = new WeakMap<object, Set<string>>();

export function exceptionKey(attributes: Attributes): string {
  return `${String(attributes[ATTR.EXCEPTION_TYPE])}\u0000${String(attributes[ATTR.EXCEPTION_MESSAGE])}`;
}

export function markLogged(span: Span | undefined, attributes: Attributes): void {
  if (!span) return;
  let set = logged.get(span);
  if (!set) {
    set = new Set();
    logged.set(span, set);
  }
  set.add(exceptionKey(attributes));
}

export function wasLogged(span: object, attributes: Attributes): boolean {
  return logged.get(span)?.has(exceptionKey(attributes)) ?? false;
}

/** The hook @faultline/errors calls from recordError when exceptions go to logs. */
export function onExceptionLog(record: ExceptionLogRecord): void {
  markLogged(record.span, record.attributes);
  emitExceptionLog(record.attributes, record.span);
}

export function logsEnabled(signal: ExceptionSignal): boolean {
  return signal === 'logs' || signal === 'logs/dup';
}
