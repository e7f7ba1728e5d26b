// The public API of @faultline/errors: what README.md documents (test/api.test.ts holds the two
// equal). Helpers only the sibling packages use are in internal.ts (`@faultline/errors/internal`).
export { ATTR } from './attributes.js';
export { type ChainLink, causeChain } from './chain.js';
export { type ClassifyOptions, toFaultlineError } from './classify.js';
export {
  type ConfigureOptions,
  configureFaultline,
  type Environment,
  type ExceptionLogRecord,
  type ExceptionSignal,
  type FaultlineConfig,
  faultlineConfig,
  resetFaultlineConfig,
} from './config.js';
export {
  CORRELATION_HEADER,
  correlationId,
  TRACE_RESPONSE_HEADER,
  traceResponseOf,
} from './correlation.js';
export {
  FaultlineError,
  type FaultlineErrorJSON,
  type FaultlineErrorOptions,
  isFaultlineError,
} from './error.js';
export { fingerprint } from './fingerprint.js';
export { codeForGrpcStatus, GRPC_CODE_NAMES, GrpcCode, type GrpcCodeName } from './grpc-codes.js';
export {
  fromGrpcStatus,
  GRPC_STATUS_DETAILS_KEY,
  type GrpcStatusInput,
  type GrpcStatusPayload,
  toGrpcStatus,
} from './grpc-status.js';
export { codeForHttpStatus, httpStatusFor } from './http-status.js';
export type { WireOptions } from './policy.js';
export {
  fromProblemDetails,
  MAX_PROBLEM_BYTES,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_PREFIX,
  type ProblemDetails,
  type ProblemOptions,
  toProblemDetails,
} from './problem.js';
export { ERRORS_METRIC, type RecordErrorOptions, recordError } from './record.js';
export {
  type BeforeRecord,
  DEFAULT_EXCEPTIONS_PER_SECOND,
  MAX_GUARDED_FINGERPRINTS,
  type RecordPolicyOptions,
} from './record-policy.js';
export { REDACTED, redact, redactValue } from './redact.js';
export { parseRetryAfter, retryAfterHeader } from './rules/hints.js';
export {
  addClassifierRule,
  boundedNames,
  type ClassifierRule,
  classifierRules,
  MAX_DETAIL_NAME_LENGTH,
  MAX_DETAIL_NAMES,
  type RuleCase,
  type RuleMatch,
  type ThrownView,
  WRAPPED,
} from './rules/index.js';
export {
  CATEGORY_DEFAULTS,
  defineErrorCode,
  ERROR_CATEGORIES,
  type ErrorCategory,
  type ErrorCodeSpec,
  grpcCodeFor,
  isErrorCategory,
  isSeverity,
  isValidCode,
  listErrorCodes,
  lookupErrorCode,
  type RegisteredErrorCode,
  SEVERITIES,
  type Severity,
} from './taxonomy.js';
export {
  type FaultlineLibraryCode,
  FaultlineUsageError,
  LIBRARY_ERROR_CODES,
  type LibraryErrorCode,
} from './usage-error.js';
