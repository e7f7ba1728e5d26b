import type { FaultlineError } from './error.js';
import { processWide, REGISTRY_KEY } from './global-keys.js';
import { codeForGrpcStatus, GrpcCode } from './grpc-codes.js';
import { FaultlineUsageError } from './usage-error.js';

export const ERROR_CATEGORIES = [
  'validation',
  'authentication',
  'authorization',
  'not_found',
  'conflict',
  'rate_limit',
  'timeout',
  'network',
  'resource',
  'dependency',
  'execution',
  'configuration',
  'system',
  'cancelled',
] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

interface CategoryDefaults {
  severity: Severity;
  retryable: boolean;
  httpStatus: number;
  grpcCode: number;
  /** Operational categories are expected outcomes: no stack unless asked (stacks cost microseconds). */
  captureStack: boolean;
}

/** The default wire mapping and per-category defaults. */
export const CATEGORY_DEFAULTS: Readonly<Record<ErrorCategory, CategoryDefaults>> = {
  validation: {
    severity: 'low',
    retryable: false,
    httpStatus: 400,
    grpcCode: GrpcCode.INVALID_ARGUMENT,
    captureStack: false,
  },
  authentication: {
    severity: 'medium',
    retryable: false,
    httpStatus: 401,
    grpcCode: GrpcCode.UNAUTHENTICATED,
    captureStack: false,
  },
  authorization: {
    severity: 'medium',
    retryable: false,
    httpStatus: 403,
    grpcCode: GrpcCode.PERMISSION_DENIED,
    captureStack: false,
  },
  not_found: {
    severity: 'low',
    retryable: false,
    httpStatus: 404,
    grpcCode: GrpcCode.NOT_FOUND,
    captureStack: false,
  },
  conflict: {
    severity: 'low',
    retryable: false,
    httpStatus: 409,
    grpcCode: GrpcCode.ABORTED,
    captureStack: false,
  },
  rate_limit: {
    severity: 'medium',
    retryable: true,
    httpStatus: 429,
    grpcCode: GrpcCode.RESOURCE_EXHAUSTED,
    captureStack: false,
  },
  cancelled: {
    severity: 'low',
    retryable: false,
    httpStatus: 499,
    grpcCode: GrpcCode.CANCELLED,
    captureStack: false,
  },
  execution: {
    severity: 'high',
    retryable: false,
    httpStatus: 500,
    grpcCode: GrpcCode.INTERNAL,
    captureStack: true,
  },
  configuration: {
    severity: 'high',
    retryable: false,
    httpStatus: 500,
    grpcCode: GrpcCode.INTERNAL,
    captureStack: true,
  },
  system: {
    severity: 'high',
    retryable: false,
    httpStatus: 500,
    grpcCode: GrpcCode.INTERNAL,
    captureStack: true,
  },
  dependency: {
    severity: 'high',
    retryable: true,
    httpStatus: 502,
    grpcCode: GrpcCode.UNAVAILABLE,
    captureStack: true,
  },
  network: {
    severity: 'high',
    retryable: true,
    httpStatus: 503,
    grpcCode: GrpcCode.UNAVAILABLE,
    captureStack: true,
  },
  resource: {
    severity: 'high',
    retryable: true,
    httpStatus: 503,
    grpcCode: GrpcCode.UNAVAILABLE,
    captureStack: true,
  },
  timeout: {
    severity: 'medium',
    retryable: true,
    httpStatus: 504,
    grpcCode: GrpcCode.DEADLINE_EXCEEDED,
    captureStack: true,
  },
};

export interface ErrorCodeSpec {
  category: ErrorCategory;
  severity?: Severity;
  retryable?: boolean;
  httpStatus?: number;
  grpcCode?: number;
  captureStack?: boolean;
  /** One line for the docs: what happened and what the caller can do. */
  description?: string;
}

export interface RegisteredErrorCode {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly severity: Severity;
  readonly retryable: boolean;
  readonly httpStatus: number;
  readonly grpcCode: number;
  readonly captureStack: boolean;
  readonly description: string;
  readonly builtIn: boolean;
}

export const CODE_PATTERN = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
export const MAX_CODE_LENGTH = 64;

// The registry is process-wide (a global symbol), so two copies of the package agree on codes.
const registry = processWide(REGISTRY_KEY, () => new Map<string, RegisteredErrorCode>());

export function isErrorCategory(value: unknown): value is ErrorCategory {
  return typeof value === 'string' && (ERROR_CATEGORIES as readonly string[]).includes(value);
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

export function isValidCode(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_CODE_LENGTH && CODE_PATTERN.test(value);
}

function validateSpec(code: string, spec: ErrorCodeSpec): void {
  const fail = (what: string) => {
    throw new FaultlineUsageError('FAULTLINE_ERR_INVALID_CODE_SPEC', `defineErrorCode('${code}'): ${what}`);
  };
  if (spec === null || typeof spec !== 'object') fail('the spec must be an object with at least a category');
  if (!isErrorCategory(spec.category))
    fail(`category must be one of ${ERROR_CATEGORIES.join(', ')}; got ${String(spec.category)}`);
  if (spec.severity !== undefined && !isSeverity(spec.severity))
    fail(`severity must be one of ${SEVERITIES.join(', ')}`);
  if (spec.retryable !== undefined && typeof spec.retryable !== 'boolean')
    fail('retryable must be a boolean');
  if (spec.captureStack !== undefined && typeof spec.captureStack !== 'boolean')
    fail('captureStack must be a boolean');
  if (
    spec.httpStatus !== undefined &&
    !(Number.isInteger(spec.httpStatus) && spec.httpStatus >= 400 && spec.httpStatus <= 599)
  ) {
    fail('httpStatus must be an integer from 400 to 599');
  }
  if (
    spec.grpcCode !== undefined &&
    !(Number.isInteger(spec.grpcCode) && spec.grpcCode >= 1 && spec.grpcCode <= 16)
  ) {
    fail('grpcCode must be a gRPC status code from 1 (CANCELLED) to 16 (UNAUTHENTICATED)');
  }
}

function register(code: string, spec: ErrorCodeSpec, builtIn: boolean): RegisteredErrorCode {
  if (!isValidCode(code)) {
    throw new FaultlineUsageError(
      'FAULTLINE_ERR_INVALID_CODE',
      `error code ${JSON.stringify(String(code)).slice(0, 80)} is not stable snake_case (pattern ${CODE_PATTERN}, at most ${MAX_CODE_LENGTH} characters)`,
    );
  }
  validateSpec(code, spec);
  const defaults = CATEGORY_DEFAULTS[spec.category];
  const entry: RegisteredErrorCode = Object.freeze({
    code,
    category: spec.category,
    severity: spec.severity ?? defaults.severity,
    retryable: spec.retryable ?? defaults.retryable,
    httpStatus: spec.httpStatus ?? defaults.httpStatus,
    grpcCode: spec.grpcCode ?? defaults.grpcCode,
    captureStack: spec.captureStack ?? defaults.captureStack,
    description: spec.description ?? '',
    builtIn,
  });
  const existing = registry.get(code);
  if (existing) {
    // Re-registering the same definition is harmless (a second copy of a package, hot reload).
    if (sameDefinition(existing, entry)) return existing;
    throw new FaultlineUsageError(
      'FAULTLINE_ERR_DUPLICATE_CODE',
      `error code '${code}' is already registered with a different definition (category ${existing.category}); codes are unique: pick another name`,
    );
  }
  registry.set(code, entry);
  return entry;
}

function sameDefinition(a: RegisteredErrorCode, b: RegisteredErrorCode): boolean {
  return (
    a.category === b.category &&
    a.severity === b.severity &&
    a.retryable === b.retryable &&
    a.httpStatus === b.httpStatus &&
    a.grpcCode === b.grpcCode &&
    a.captureStack === b.captureStack
  );
}

/** Registers an application error code. Throws FAULTLINE_ERR_* on a bad name, spec or conflicting duplicate. */
export function defineErrorCode(code: string, spec: ErrorCodeSpec): RegisteredErrorCode {
  return register(code, spec, false);
}

export function lookupErrorCode(code: string): RegisteredErrorCode | undefined {
  return registry.get(code);
}

export function listErrorCodes(): RegisteredErrorCode[] {
  return [...registry.values()];
}

/** Built-in codes: every category has at least one. */
const BUILT_IN: Record<string, ErrorCodeSpec> = {
  invalid_params: {
    category: 'validation',
    description: 'A parameter has an invalid value; fix the request.',
  },
  missing_required: {
    category: 'validation',
    description: 'A required parameter is missing; fix the request.',
  },
  type_mismatch: { category: 'validation', description: 'A parameter has the wrong type; fix the request.' },
  failed_precondition: {
    category: 'validation',
    httpStatus: 400,
    grpcCode: GrpcCode.FAILED_PRECONDITION,
    description: 'The system is not in a state the operation needs; change the state first.',
  },
  unauthenticated: {
    category: 'authentication',
    description: 'No valid credentials; authenticate and retry.',
  },
  permission_denied: { category: 'authorization', description: 'The caller may not do this.' },
  not_found: { category: 'not_found', description: 'The resource does not exist.' },
  conflict: {
    category: 'conflict',
    description: 'The request conflicts with the current state; re-read and retry.',
  },
  already_exists: {
    category: 'conflict',
    grpcCode: GrpcCode.ALREADY_EXISTS,
    description: 'The resource already exists.',
  },
  rate_limited: { category: 'rate_limit', description: 'Too many requests; retry after the hinted delay.' },
  operation_timeout: { category: 'timeout', description: 'The operation did not finish in its time budget.' },
  deadline_exceeded: {
    category: 'timeout',
    description: "The caller's deadline expired before the work finished.",
  },
  connection_failed: {
    category: 'network',
    description: 'A connection could not be established (refused, unreachable).',
  },
  connection_reset: {
    category: 'network',
    description: 'The peer closed the connection mid-request (reset, broken pipe).',
  },
  network_timeout: {
    category: 'network',
    description: 'A network operation timed out (connect, socket, headers).',
  },
  dns_failure: { category: 'network', description: 'A host name could not be resolved.' },
  worker_unavailable: { category: 'resource', description: 'No worker can take the job now; retry later.' },
  service_unavailable: {
    category: 'resource',
    description: 'The service is temporarily unable to serve (overloaded, shutting down); retry later.',
  },
  pool_saturated: {
    category: 'resource',
    captureStack: false,
    description: 'A pool or bulkhead is full; the call was rejected without running.',
  },
  memory_exhausted: {
    category: 'resource',
    severity: 'critical',
    retryable: false,
    description: 'The process ran out of memory.',
  },
  file_descriptors_exhausted: {
    category: 'resource',
    severity: 'critical',
    description: 'The process ran out of file descriptors (EMFILE/ENFILE).',
  },
  disk_full: {
    category: 'resource',
    severity: 'critical',
    retryable: false,
    description: 'No space left on device.',
  },
  circuit_open: {
    category: 'dependency',
    severity: 'medium',
    httpStatus: 503,
    captureStack: false,
    description: 'A circuit breaker is open and rejected the call; retry after the hinted delay.',
  },
  dependency_failed: { category: 'dependency', description: 'A downstream dependency failed.' },
  execution_failed: {
    category: 'execution',
    description: 'The code failed while running (a bug or an unexpected state).',
  },
  adapter_error: {
    category: 'execution',
    description: 'An adapter to an external system failed to translate a call.',
  },
  not_implemented: {
    category: 'execution',
    httpStatus: 501,
    grpcCode: GrpcCode.UNIMPLEMENTED,
    description: 'The operation is not implemented by this server.',
  },
  import_error: {
    category: 'configuration',
    severity: 'critical',
    description: 'A module could not be loaded.',
  },
  configuration_error: { category: 'configuration', description: 'The service is misconfigured.' },
  internal_error: { category: 'system', description: 'An internal error.' },
  data_loss: {
    category: 'system',
    severity: 'critical',
    grpcCode: GrpcCode.DATA_LOSS,
    description: 'Unrecoverable data loss or corruption.',
  },
  cancelled: { category: 'cancelled', description: 'The operation was cancelled, usually by the caller.' },
  unknown_error: { category: 'system', description: 'A value was thrown that could not be classified.' },
  // Data stores and dependencies (issue 11): what the classifier's database rules yield.
  constraint_violation: {
    category: 'conflict',
    description: 'A write broke an integrity constraint (foreign key, check, not null, exclusion).',
  },
  transaction_conflict: {
    category: 'conflict',
    severity: 'medium',
    retryable: true,
    description:
      'The transaction lost a race (serialization failure, deadlock, write conflict, lock not available); retry it.',
  },
  invalid_data: {
    category: 'validation',
    description: 'A value was rejected by the data store (bad format, out of range, too long).',
  },
  invalid_query: {
    category: 'execution',
    description:
      'A query is wrong for the store (syntax, missing table/column/function, wrong type of key). A bug.',
  },
  credentials_rejected: {
    category: 'configuration',
    description: "A dependency rejected this service's credentials (database/cache auth failed).",
  },
  too_many_connections: {
    category: 'resource',
    description: 'A dependency refused a connection: its connection limit is reached.',
  },
  resource_exhausted: {
    category: 'resource',
    description: 'A dependency ran out of a resource (memory, disk, locks, workers).',
  },
  dependency_unavailable: {
    category: 'dependency',
    description:
      'A dependency cannot serve right now (failover, read-only replica, loading, cluster redirect, shutting down).',
  },
};

for (const [code, spec] of Object.entries(BUILT_IN)) register(code, spec, true);

/** Defaults for a code this process has not registered (e.g. decoded from a remote service). */
export function specFor(code: string, fallbackCategory: ErrorCategory): RegisteredErrorCode {
  const found = registry.get(code);
  if (found) return found;
  const defaults = CATEGORY_DEFAULTS[fallbackCategory];
  return {
    code,
    category: fallbackCategory,
    severity: defaults.severity,
    retryable: defaults.retryable,
    httpStatus: defaults.httpStatus,
    grpcCode: defaults.grpcCode,
    captureStack: defaults.captureStack,
    description: '',
    builtIn: false,
  };
}

/** The gRPC status code to answer with: the code's registration, else the category's default. */
export function grpcCodeFor(err: FaultlineError): number {
  return lookupErrorCode(err.code)?.grpcCode ?? CATEGORY_DEFAULTS[err.category].grpcCode;
}

/** The category a gRPC status stands for (that of its built-in code). */
export function categoryForGrpcStatus(code: number): ErrorCategory {
  return lookupErrorCode(codeForGrpcStatus(code))?.category ?? 'system';
}
