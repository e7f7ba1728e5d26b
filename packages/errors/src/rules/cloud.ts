import { codeForGrpcStatus } from '../grpc-codes.js';
import { codeForHttpStatus } from '../http-status.js';
import { safeGet } from '../safe.js';
import {
  casesOf,
  DETAIL,
  errorStatus,
  identifier,
  MAX_RETRY_AFTER_MS,
  ownEntry,
  retryAfterFromHeaders,
} from './hints.js';
import { type BuiltInRule, type RuleMatch, type ThrownView, WRAPPED } from './rule.js';

// Cloud SDKs: AWS SDK v3 (smithy ServiceException: `name` is the service's error name, `$fault`,
// `$retryable`, `$metadata.httpStatusCode`), Azure (`RestError`: `code`, `statusCode`) and Google
// Cloud's gRPC-based clients (google-gax `GoogleError`: numeric gRPC `code`, `details`,
// `statusDetails`). A grpc-js ServiceError with `metadata` is decoded before the rules run
// (classify.ts, grpc-status.ts); these rules see the rest.

/** AWS error names (smithy's throttling and transient lists, and the common service errors). */
const AWS_NAMES: Readonly<Record<string, string>> = {
  // throttling (smithy THROTTLING_ERROR_CODES)
  BandwidthLimitExceeded: 'rate_limited',
  EC2ThrottledException: 'rate_limited',
  LimitExceededException: 'rate_limited',
  PriorRequestNotComplete: 'rate_limited',
  ProvisionedThroughputExceededException: 'rate_limited',
  RequestLimitExceeded: 'rate_limited',
  RequestThrottled: 'rate_limited',
  RequestThrottledException: 'rate_limited',
  SlowDown: 'rate_limited',
  ThrottledException: 'rate_limited',
  Throttling: 'rate_limited',
  ThrottlingException: 'rate_limited',
  TooManyRequestsException: 'rate_limited',
  TransactionInProgressException: 'transaction_conflict',
  // transient
  RequestTimeout: 'network_timeout',
  RequestTimeoutException: 'network_timeout',
  ServiceUnavailable: 'service_unavailable',
  ServiceUnavailableException: 'service_unavailable',
  InternalServerError: 'dependency_failed',
  InternalServerException: 'dependency_failed',
  InternalFailure: 'dependency_failed',
  InternalError: 'dependency_failed',
  // credentials: this service's keys or token were refused
  ExpiredTokenException: 'credentials_rejected',
  ExpiredToken: 'credentials_rejected',
  UnrecognizedClientException: 'credentials_rejected',
  InvalidClientTokenId: 'credentials_rejected',
  InvalidAccessKeyId: 'credentials_rejected',
  InvalidSignatureException: 'credentials_rejected',
  SignatureDoesNotMatch: 'credentials_rejected',
  AuthFailure: 'credentials_rejected',
  MissingAuthenticationTokenException: 'credentials_rejected',
  // authorization: the credentials are fine, the policy says no
  AccessDeniedException: 'permission_denied',
  AccessDenied: 'permission_denied',
  UnauthorizedOperation: 'permission_denied',
  // missing things
  ResourceNotFoundException: 'not_found',
  NoSuchKey: 'not_found',
  NoSuchBucket: 'not_found',
  NoSuchEntity: 'not_found',
  NotFound: 'not_found',
  // state
  ConditionalCheckFailedException: 'conflict',
  TransactionConflictException: 'transaction_conflict',
  TransactionCanceledException: 'conflict',
  ResourceInUseException: 'conflict',
  ResourceAlreadyExistsException: 'already_exists',
  EntityAlreadyExists: 'already_exists',
  BucketAlreadyExists: 'already_exists',
  ItemCollectionSizeLimitExceededException: 'resource_exhausted',
  // the request
  ValidationException: 'invalid_params',
  InvalidParameterValueException: 'invalid_params',
  InvalidParameterException: 'invalid_params',
  SerializationException: 'invalid_params',
};

/** Azure REST error codes (`RestError.code`, the `x-ms-error-code` header / body). */
const AZURE_CODES: Readonly<Record<string, string>> = {
  ServerBusy: 'service_unavailable',
  ServiceUnavailable: 'service_unavailable',
  OperationTimedOut: 'operation_timeout',
  InternalError: 'dependency_failed',
  ThrottlingException: 'rate_limited',
  TooManyRequests: 'rate_limited',
  RequestRateTooLarge: 'rate_limited',
  AuthenticationFailed: 'credentials_rejected',
  InvalidAuthenticationInfo: 'credentials_rejected',
  AuthorizationFailure: 'permission_denied',
  AuthorizationPermissionMismatch: 'permission_denied',
  AuthorizationFailed: 'permission_denied',
  ResourceNotFound: 'not_found',
  BlobNotFound: 'not_found',
  ContainerNotFound: 'not_found',
  QueueNotFound: 'not_found',
  ResourceAlreadyExists: 'already_exists',
  BlobAlreadyExists: 'already_exists',
  ContainerAlreadyExists: 'already_exists',
  ConditionNotMet: 'failed_precondition',
  LeaseIdMismatchWithBlobOperation: 'conflict',
  LeaseAlreadyPresent: 'conflict',
  InvalidInput: 'invalid_params',
  InvalidQueryParameterValue: 'invalid_params',
  // core-rest-pipeline's own codes
  REQUEST_SEND_ERROR: 'connection_failed',
  PARSE_ERROR: 'dependency_failed',
};

const AWS_FAULTS: ReadonlySet<unknown> = new Set(['client', 'server']);

/**
 * Names that are never an AWS service error (JavaScript's and the DOM's own classes): a value so
 * named is not looked at further. Any other name without a `code` costs one read (`$fault`).
 */
const NOT_AWS_NAMES: ReadonlySet<string> = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
  'AggregateError',
  'AbortError',
  'TimeoutError',
]);

export const cloudRules: readonly BuiltInRule[] = [
  {
    id: 'cloud.aws',
    gate: (name, code) => code === 'undefined' && name !== undefined && !NOT_AWS_NAMES.has(name),
    libraries: ['@aws-sdk/*', '@smithy/smithy-client'],
    cases: [
      ...casesOf(Object.entries(AWS_NAMES), (keys) => `name ${keys} (with \`$fault\`)`),
      { matches: 'another name: `$retryable.throttling`', code: 'rate_limited' },
      {
        matches: 'another name: `$metadata.httpStatusCode` mapped, else `$fault` server',
        code: 'dependency_failed',
      },
    ],
    match(view) {
      // A ServiceException is named by the service's error and has no `code`: a built-in class,
      // a system error or anything with a code is not looked at further.
      const name = view.name;
      if (typeof name !== 'string' || view.code !== undefined || NOT_AWS_NAMES.has(name)) return undefined;
      const fault = view.get('$fault');
      if (!AWS_FAULTS.has(fault)) return undefined;
      return awsMatch(view, name, fault);
    },
  },
  {
    id: 'cloud.azure',
    gate: (name) => name === 'RestError',
    libraries: ['@azure/core-rest-pipeline', '@azure/*'],
    cases: [
      ...casesOf(Object.entries(AZURE_CODES), (keys) => `RestError code ${keys}`),
      { matches: 'RestError with another code: `statusCode` mapped, Retry-After as the hint', code: WRAPPED },
    ],
    match(view) {
      if (view.name !== 'RestError') return undefined;
      const code = view.code;
      const status = errorStatus(view.get('statusCode'));
      const response = status === undefined ? undefined : view.get('response');
      const known = ownEntry(AZURE_CODES, code);
      if (known === undefined && status === undefined) {
        // A send error: the system error's code (ECONNREFUSED...) is `code`; node.ts knows it.
        return typeof code === 'string' ? view.inner({ code }) : undefined;
      }
      const details: Record<string, string | number> = {};
      const service = identifier(code);
      if (service !== undefined) details[DETAIL.SERVICE_ERROR] = service;
      if (status !== undefined) details[DETAIL.HTTP_STATUS] = status;
      const match: RuleMatch = {
        code: known ?? codeForHttpStatus(status as number) ?? 'dependency_failed',
        details,
      };
      const hint = retryAfterFromHeaders(safeGet(response, 'headers'), status);
      if (hint !== undefined) match.retryAfterMs = hint;
      return match;
    },
  },
  {
    id: 'cloud.google',
    gate: (_name, code) => code === 'number',
    libraries: ['google-gax', '@google-cloud/*'],
    cases: [
      {
        matches:
          'GoogleError (or `statusDetails` / `reason`) with a gRPC code 1-16: the gRPC mapping (8 → rate_limited, 14 → service_unavailable...), RetryInfo as the hint',
        code: WRAPPED,
      },
    ],
    match(view) {
      const code = view.code;
      if (typeof code !== 'number' || !Number.isInteger(code) || code < 1 || code > 16) return undefined;
      const statusDetails = view.get('statusDetails');
      const reason = view.get('reason');
      // A gRPC status only when the value says it is gax's: a small numeric code alone is not.
      if (!Array.isArray(statusDetails) && typeof reason !== 'string' && !isGoogleError(view.value))
        return undefined;
      const details: Record<string, string | number> = { [DETAIL.RPC_STATUS]: code };
      const service = identifier(reason);
      if (service !== undefined) details[DETAIL.SERVICE_ERROR] = service;
      const match: RuleMatch = { code: codeForGrpcStatus(code), details };
      const hint = Array.isArray(statusDetails) ? retryInfoDelay(statusDetails) : undefined;
      if (hint !== undefined) match.retryAfterMs = hint;
      return match;
    },
  },
];

function awsMatch(view: ThrownView, name: string, fault: unknown): RuleMatch {
  const metadata = view.get('$metadata');
  const status = errorStatus(safeGet(metadata, 'httpStatusCode'));
  const retryable = view.get('$retryable');
  const throttling = safeGet(retryable, 'throttling') === true;
  const details: Record<string, string | number> = {};
  const service = identifier(name);
  if (service !== undefined) details[DETAIL.SERVICE_ERROR] = service;
  if (status !== undefined) details[DETAIL.HTTP_STATUS] = status;
  const code =
    ownEntry(AWS_NAMES, name) ??
    (throttling
      ? 'rate_limited'
      : status !== undefined
        ? (codeForHttpStatus(status) ?? 'dependency_failed')
        : fault === 'server'
          ? 'dependency_failed'
          : 'invalid_params');
  const match: RuleMatch = { code, details };
  // The SDK marks what its own retry strategy would retry: honour a yes it gives.
  if (retryable !== undefined && retryable !== null && typeof retryable === 'object') match.retryable = true;
  const response = view.get('$response');
  const hint = retryAfterFromHeaders(
    safeGet(response, 'headers'),
    status === 400 && code === 'rate_limited' ? 429 : status,
  );
  if (hint !== undefined) match.retryAfterMs = hint;
  return match;
}

/** google.rpc.RetryInfo's `retryDelay` among decoded status details, in ms (bounded). */
function retryInfoDelay(statusDetails: readonly unknown[]): number | undefined {
  const n = Math.min(statusDetails.length, 8);
  for (let i = 0; i < n; i++) {
    const seconds = durationSeconds(safeGet(safeGet(statusDetails, i), 'retryDelay'));
    if (Number.isFinite(seconds) && seconds >= 0)
      return Math.min(Math.ceil(seconds * 1000), MAX_RETRY_AFTER_MS);
  }
  return undefined;
}

/** A decoded google.protobuf.Duration's seconds: a number, a decimal string or a protobufjs Long. */
function durationSeconds(duration: unknown): number {
  const seconds = safeGet(duration, 'seconds');
  if (typeof seconds === 'number') return seconds;
  if (typeof seconds === 'string') return /^\d{1,12}$/.test(seconds) ? Number(seconds) : Number.NaN;
  const low = safeGet(seconds, 'low');
  const high = safeGet(seconds, 'high');
  if (typeof low !== 'number' || typeof high !== 'number' || high < 0) return Number.NaN;
  return high * 2 ** 32 + (low >>> 0);
}

/** google-gax's GoogleError (its `name` is plain 'Error'): known by its class name, guarded. */
function isGoogleError(value: object): boolean {
  try {
    return Object.getPrototypeOf(value)?.constructor?.name === 'GoogleError';
  } catch {
    return false;
  }
}
