// `@faultline/errors/internal`: what the sibling Faultline packages share with this one and
// applications do not need. No stability promise: it changes with the packages that use it.

// Last: answer.ts reads classify.ts and record.ts, which the lines above have loaded.
export { type AnswerSteps, answerError } from './answer.js';
export { CAUSE_LABELS, causeHeader, parseCauseHeader } from './chain.js';
export { isWireCorrelationId, isWireServiceName, randomTraceId } from './correlation.js';
export { type ErrorMemo, memoOf } from './error.js';
export { grpcCodeName } from './grpc-codes.js';
export { DEFAULT_ERROR_DOMAIN, reasonForCode } from './grpc-status.js';
export {
  CALLER_FAULT_CATEGORIES,
  EXPOSED_MESSAGE_CATEGORIES,
  GRPC_SERVER_FAILURE_CODES,
  safeMessage,
  shouldExpose,
} from './policy.js';
export {
  type CountDeferral,
  composedStack,
  countError,
  errorAttributes,
  exceptionAttributes,
  linkCounted,
  type SpanFailureInput,
  setCountDeferral,
  spanFailed,
  statusMessage,
  wasRecorded,
} from './record.js';
export { admit, isIgnored, recordInFull } from './record-policy.js';
export {
  BOOLEAN_TEXT,
  type Check,
  ENVIRONMENTS,
  type Env,
  EXCEPTION_SIGNALS,
  envList,
  envText,
  integerIn,
  isPatternSource,
  numberIn,
  oneOf,
  patternSources,
  readSetting,
} from './settings.js';
export { categoryForGrpcStatus, specFor } from './taxonomy.js';
