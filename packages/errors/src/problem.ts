import { isWireCorrelationId, isWireServiceName } from './correlation.js';
import { FaultlineError } from './error.js';
import { codeForHttpStatus, httpStatusFor } from './http-status.js';
import {
  exposedCauses,
  exposedDetails,
  exposedStack,
  safeMessage,
  shouldExpose,
  type WireOptions,
} from './policy.js';
import { isErrorCategory, isSeverity, isValidCode, lookupErrorCode } from './taxonomy.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** The `type` URI of our problems: a URN, so nobody is sent to a page that does not exist. */
export const PROBLEM_TYPE_PREFIX = 'urn:faultline:problem:';

/** RFC 9457 problem details with Faultline's extension members. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  category: string;
  severity: string;
  retryable: boolean;
  retryAfterMs?: number;
  correlationId?: string;
  service?: string;
  /** Only when exposing (development): */
  details?: Record<string, unknown>;
  stack?: string;
  causes?: Array<{ type: string; message: string }>;
}

export interface ProblemOptions extends WireOptions {
  /** RFC 9457 `instance`: e.g. the request path. */
  instance?: string;
}

function title(code: string): string {
  const text = code.replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function toProblemDetails(err: FaultlineError, options?: ProblemOptions): ProblemDetails {
  const expose = shouldExpose(options);
  const problem: ProblemDetails = {
    type: PROBLEM_TYPE_PREFIX + err.code,
    title: title(err.code),
    status: httpStatusFor(err),
    detail: safeMessage(err, expose),
    code: err.code,
    category: err.category,
    severity: err.severity,
    retryable: err.retryable,
  };
  if (options?.instance !== undefined) problem.instance = options.instance.slice(0, 2048);
  if (err.retryAfterMs !== undefined) problem.retryAfterMs = err.retryAfterMs;
  if (err.correlationId !== undefined) problem.correlationId = err.correlationId;
  if (err.service !== undefined) problem.service = err.service;
  if (expose) {
    problem.details = exposedDetails(err);
    const stack = exposedStack(err, 16_384);
    if (stack) problem.stack = stack;
    problem.causes = exposedCauses(err);
  }
  return problem;
}

/** Bodies above this are not parsed (the HTTP decoder reads at most this much). */
export const MAX_PROBLEM_BYTES = 64 * 1024;

/**
 * Rebuilds a FaultlineError from a problem+json body (object or JSON text) and the HTTP status.
 * Untrusted input: wrong types, garbage and huge bodies fall back to the status. Never throws.
 */
export function fromProblemDetails(body: unknown, status?: number): FaultlineError {
  try {
    return decode(body, status);
  } catch {
    return new FaultlineError({
      code: 'unknown_error',
      message: 'undecodable problem details',
      remote: true,
    });
  }
}

function decode(body: unknown, status?: number): FaultlineError {
  let obj: Record<string, unknown> | undefined;
  if (typeof body === 'string') {
    if (body.length <= MAX_PROBLEM_BYTES) {
      try {
        const parsed: unknown = JSON.parse(body);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
          obj = parsed as Record<string, unknown>;
      } catch {
        obj = undefined;
      }
    }
  } else if (body && typeof body === 'object' && !Array.isArray(body)) {
    obj = body as Record<string, unknown>;
  }
  const httpStatus =
    typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599
      ? status
      : typeof obj?.status === 'number' &&
          Number.isInteger(obj.status) &&
          obj.status >= 400 &&
          obj.status <= 599
        ? obj.status
        : 500;
  const statusCode = codeForHttpStatus(httpStatus) ?? 'internal_error';
  const wireCode = typeof obj?.code === 'string' ? obj.code.toLowerCase() : undefined;
  const code = wireCode && isValidCode(wireCode) ? wireCode : statusCode;
  const category = isErrorCategory(obj?.category)
    ? obj.category
    : (lookupErrorCode(code)?.category ?? lookupErrorCode(statusCode)?.category ?? 'system');
  const detail =
    typeof obj?.detail === 'string' ? obj.detail : typeof obj?.title === 'string' ? obj.title : undefined;
  const retryAfter = obj?.retryAfterMs;
  const details: Record<string, unknown> = { httpStatus };
  if (obj?.details && typeof obj.details === 'object' && !Array.isArray(obj.details))
    details.remote = obj.details;
  if (typeof obj?.instance === 'string') details.instance = obj.instance.slice(0, 2048);
  return new FaultlineError({
    code,
    category,
    message: (detail ?? `HTTP ${httpStatus}`).slice(0, 4_096),
    details,
    remote: true,
    ...(isSeverity(obj?.severity) ? { severity: obj.severity } : {}),
    ...(typeof obj?.retryable === 'boolean' ? { retryable: obj.retryable } : {}),
    ...(typeof retryAfter === 'number' && Number.isFinite(retryAfter) && retryAfter >= 0
      ? { retryAfterMs: retryAfter }
      : {}),
    ...(isWireCorrelationId(obj?.correlationId) ? { correlationId: obj.correlationId } : {}),
    ...(isWireServiceName(obj?.service) ? { service: obj.service } : {}),
  });
}
