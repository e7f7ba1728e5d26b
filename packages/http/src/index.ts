// The header is defined with the correlation ID in @faultline/errors (the register sets it too).
export { CORRELATION_HEADER, parseRetryAfter, retryAfterHeader } from '@faultline/errors';
export {
  type ProblemAnswer,
  type ProblemAnswerOptions,
  type ProblemHandlerOptions,
  problemAnswer,
} from './answer.js';
export {
  ensureOk,
  errorFromResponse,
  type FetchResponseLike,
  type ResponseDecodeOptions,
  type ResponseLike,
  type UndiciResponseLike,
} from './decode.js';
export { type ExpressRequestLike, expressProblemHandler } from './express.js';
export { type FastifyReplyLike, type FastifyRequestLike, fastifyProblemHandler } from './fastify.js';
export { sendProblem, withProblemDetails } from './node.js';
export { FaultlineHttpUsageError, LIBRARY_ERROR_CODES, type LibraryErrorCode } from './usage-error.js';
