export { type CallContext, errorFromStatus, type StatusLike } from './decode.js';
export { type ClientErrorOptions, type FaultlineServiceError, faultlineInterceptor } from './interceptor.js';
export { faultlineErrorOf, promisifyUnary, type UnaryCallOptions } from './promisify.js';
export { type MethodShape, withFaultline, wrapHandler } from './server.js';
export type { FaultlineServerStatus, ServerErrorOptions } from './server-status.js';
export { FaultlineGrpcUsageError, LIBRARY_ERROR_CODES, type LibraryErrorCode } from './usage-error.js';
