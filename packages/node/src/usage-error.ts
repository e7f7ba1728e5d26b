// The usage errors of @faultline/node: its library codes and the class it raises them with.
import { FaultlineUsageError } from '@faultline/errors';

/**
 * Codes of the problems @faultline/node itself reports (at start, or while flushing before exit).
 * README.md lists each one; a test keeps the two equal.
 */
export const LIBRARY_ERROR_CODES = {
  FAULTLINE_ERR_INVALID_ENV:
    'An environment variable or start() option has a value we do not accept; the message names the variable and the accepted values. The signal it configures falls back or is turned off.',
  FAULTLINE_ERR_INVALID_URL:
    'An OTLP endpoint is not an absolute http(s) URL; that signal is turned off. Fix OTEL_EXPORTER_OTLP_ENDPOINT or the per-signal variable.',
  FAULTLINE_ERR_UNKNOWN_EXPORTER:
    'OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER or OTEL_LOGS_EXPORTER names an exporter we do not ship; that exporter is skipped.',
  FAULTLINE_ERR_UNKNOWN_INSTRUMENTATION:
    'OTEL_NODE_ENABLED_INSTRUMENTATIONS or OTEL_NODE_DISABLED_INSTRUMENTATIONS names an instrumentation we do not ship; the name is ignored.',
  FAULTLINE_ERR_PORT_IN_USE:
    'The Prometheus exporter could not listen on OTEL_EXPORTER_PROMETHEUS_HOST:OTEL_EXPORTER_PROMETHEUS_PORT (in use or not permitted); /metrics is not served. Pick a free port.',
  FAULTLINE_ERR_STRICT:
    'FAULTLINE_STRICT=true turned a configuration problem into a start failure; fix the problems listed before it.',
  FAULTLINE_ERR_SDK_START:
    'The OpenTelemetry SDK threw while starting; the app runs without telemetry. The message carries the SDK error.',
  FAULTLINE_ERR_INSTRUMENTATION_FAILED:
    'An instrumentation could not be created or enabled; the app runs without it.',
  FAULTLINE_ERR_FLUSH_TIMEOUT:
    'Telemetry was not flushed within FAULTLINE_FLUSH_TIMEOUT_MS before exit; what was still buffered is lost. Raise the timeout or check the exporter endpoint.',
  FAULTLINE_ERR_FLUSH_FAILED:
    'An exporter failed while flushing before exit or shutdown; the message carries its error.',
} as const;

export type LibraryErrorCode = keyof typeof LIBRARY_ERROR_CODES;

/**
 * A problem raised by @faultline/node itself; `code` is stable and listed in LIBRARY_ERROR_CODES.
 * A FaultlineUsageError (its name stays FaultlineNodeError).
 */
export class FaultlineNodeError extends FaultlineUsageError<LibraryErrorCode> {
  override readonly name = 'FaultlineNodeError';
}
