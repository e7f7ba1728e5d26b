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
export { correlationId, randomTraceId } from './correlation.js';
export {
  FaultlineError,
  type FaultlineErrorJSON,
  type FaultlineErrorOptions,
  isFaultlineError,
} from './error.js';
export { fingerprint } from './fingerprint.js';
export {
  DEFAULT_ERROR_DOMAIN,
  fromGrpcStatus,
  GRPC_STATUS_DETAILS_KEY,
  type GrpcStatusInput,
  type GrpcStatusPayload,
  reasonForCode,
  safeMessage,
  toGrpcStatus,
  type WireOptions,
} from './grpc-status.js';
export { codeForGrpcStatus, codeForHttpStatus, grpcCodeFor, httpStatusFor } from './http-status.js';
export { LIBRARY_ERROR_CODES, type LibraryErrorCode } from './library-codes.js';
export {
  fromProblemDetails,
  MAX_PROBLEM_BYTES,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_PREFIX,
  type ProblemDetails,
  type ProblemOptions,
  toProblemDetails,
} from './problem.js';
export {
  ATTR,
  composedStack,
  countError,
  ERRORS_METRIC,
  errorAttributes,
  exceptionAttributes,
  grpcCodeName,
  type RecordErrorOptions,
  recordError,
  type SpanFailureInput,
  spanFailed,
  wasRecorded,
} from './record.js';
export { REDACTED, redact, redactValue } from './redact.js';
export { parseRetryAfter, retryAfterHeader } from './rules/hints.js';
export {
  CATEGORY_DEFAULTS,
  defineErrorCode,
  ERROR_CATEGORIES,
  type ErrorCategory,
  type ErrorCodeSpec,
  GRPC_CODE_NAMES,
  GrpcCode,
  type GrpcCodeName,
  isErrorCategory,
  isSeverity,
  isValidCode,
  listErrorCodes,
  lookupErrorCode,
  type RegisteredErrorCode,
  SEVERITIES,
  type Severity,
} from './taxonomy.js';
export { type FaultlineLibraryCode, FaultlineUsageError } from './usage-error.js';
