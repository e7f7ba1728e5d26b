import type { FaultlineError } from './error.js';
import { CATEGORY_DEFAULTS, lookupErrorCode } from './taxonomy.js';

const HTTP_CODES: Record<number, string> = {
  400: 'invalid_params',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  405: 'invalid_params',
  408: 'operation_timeout',
  409: 'conflict',
  410: 'not_found',
  412: 'failed_precondition',
  413: 'invalid_params',
  415: 'invalid_params',
  422: 'invalid_params',
  428: 'failed_precondition',
  429: 'rate_limited',
  499: 'cancelled',
  500: 'internal_error',
  501: 'not_implemented',
  502: 'dependency_failed',
  503: 'service_unavailable',
  504: 'deadline_exceeded',
  507: 'disk_full',
};

/** The built-in code an HTTP error status stands for (other 4xx: invalid_params, 5xx: internal_error). */
export function codeForHttpStatus(status: number): string | undefined {
  if (!Number.isInteger(status) || status < 400 || status > 599) return undefined;
  return HTTP_CODES[status] ?? (status < 500 ? 'invalid_params' : 'internal_error');
}

/** The HTTP status to answer with: the code's registration, else the category's default. */
export function httpStatusFor(err: FaultlineError): number {
  return lookupErrorCode(err.code)?.httpStatus ?? CATEGORY_DEFAULTS[err.category].httpStatus;
}
