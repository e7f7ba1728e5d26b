import { FaultlineError } from '@faultline/errors';

/** [category, a code of it, the HTTP status docs/architecture.md ("Wire mapping") maps it to, extra fields]. */
export const CATEGORY_ROWS = [
  ['validation', 'invalid_params', 400, { message: 'email is not an address' }],
  ['authentication', 'unauthenticated', 401, { message: 'token expired' }],
  ['authorization', 'permission_denied', 403, { message: 'not your order' }],
  ['not_found', 'not_found', 404, { message: 'no order 7' }],
  ['conflict', 'conflict', 409, { message: 'stale version', severity: 'high' }],
  ['rate_limit', 'rate_limited', 429, { message: 'slow down', retryAfterMs: 1_500 }],
  ['cancelled', 'cancelled', 499, { message: 'client went away' }],
  ['execution', 'execution_failed', 500, { message: 'secret=hunter2 in row 7' }],
  ['configuration', 'configuration_error', 500, { message: 'DB_URL unset', severity: 'critical' }],
  ['system', 'internal_error', 500, { message: 'invariant broken' }],
  ['dependency', 'dependency_failed', 502, { message: 'ledger down', retryAfterMs: 2_001 }],
  ['network', 'connection_failed', 503, { message: 'refused' }],
  ['resource', 'service_unavailable', 503, { message: 'draining', retryAfterMs: 30_000 }],
  ['timeout', 'operation_timeout', 504, { message: 'query took 30s', retryable: false }],
] as const;

/** What a route throws for `?fail=NAME`: a category's error, or a value that is not a FaultlineError. */
export function failure(name: string): unknown {
  const row = CATEGORY_ROWS.find(([category]) => category === name);
  if (row) return new FaultlineError({ code: row[1], ...row[3] });
  switch (name) {
    case 'string':
      return 'a bare string';
    case 'error':
      return new Error('password=swordfish broke it');
    case 'econnrefused':
      return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    default:
      return new FaultlineError({ code: 'invalid_params', message: `unknown failure ${name}` });
  }
}
