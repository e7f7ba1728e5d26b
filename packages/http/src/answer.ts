import {
  CORRELATION_HEADER,
  type FaultlineError,
  httpStatusFor,
  PROBLEM_CONTENT_TYPE,
  type ProblemDetails,
  retryAfterHeader,
  toProblemDetails,
  type WireOptions,
} from '@faultline/errors';
import { answerError, isWireCorrelationId } from '@faultline/errors/internal';
import { type Span, trace } from '@opentelemetry/api';

export interface ProblemHandlerOptions extends WireOptions {
  /** Sees every error answered, after it is recorded (e.g. to log it). Must not throw. */
  onError?: (err: FaultlineError) => void;
}

export interface ProblemAnswerOptions extends ProblemHandlerOptions {
  /** RFC 9457 `instance`: the request path (without its query string, which may hold secrets). */
  instance?: string;
  /** The server span to record on; default: the active span. */
  span?: Span;
}

/** An error as an HTTP answer: status, headers and the problem+json body. */
export interface ProblemAnswer {
  error: FaultlineError;
  status: number;
  headers: Record<string, string>;
  problem: ProblemDetails;
  body: string;
}

/** `/orders/7?token=…` → `/orders/7`. */
export function pathOf(url: string | undefined): string | undefined {
  if (typeof url !== 'string') return undefined;
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function serialize(problem: ProblemDetails): string {
  try {
    return JSON.stringify(problem, (_key, value: unknown) =>
      typeof value === 'bigint' ? String(value) : value,
    );
  } catch {
    // Exposed details that JSON cannot hold (development only): answer without them.
    const { details: _details, ...rest } = problem;
    return JSON.stringify(rest);
  }
}

/**
 * Whatever was thrown, as the answer to send: classified, correlated with the trace (the body's
 * `correlationId` and the `x-correlation-id` header), recorded on the server span with the answered
 * status, `Retry-After` when the error has a delay. Framework-free: the handlers of this package
 * use it, and so can any other framework.
 */
export function problemAnswer(value: unknown, options: ProblemAnswerOptions = {}): ProblemAnswer {
  const { error, wire: status } = answerError(value, {
    span: options.span ?? trace.getActiveSpan(),
    wire: httpStatusFor,
    recordOptions: (httpStatusCode) => ({ httpStatusCode }),
    onError: options.onError,
  });
  const problem = toProblemDetails(error, {
    ...(options.expose !== undefined ? { expose: options.expose } : {}),
    ...(options.instance !== undefined ? { instance: options.instance } : {}),
  });
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE };
  // A correlation ID set by hand may hold anything; only a header-safe one becomes a header.
  if (isWireCorrelationId(error.correlationId)) headers[CORRELATION_HEADER] = error.correlationId;
  if (error.retryAfterMs !== undefined) headers['retry-after'] = retryAfterHeader(error.retryAfterMs);
  return { error, status, headers, problem, body: serialize(problem) };
}
