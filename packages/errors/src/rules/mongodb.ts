// MongoDB, as the `mongodb` driver throws it (every class's `name` starts with "Mongo": a getter
// on its prototype), and `mongoose`'s own errors (ValidationError, CastError, ...). A server
// error's numeric `code` decides; then its error labels (TransientTransactionError,
// RetryableWriteError); then the class. https://www.mongodb.com/docs/manual/reference/error-codes/
import { dbMatch, safeMessageOf } from './db.js';
import { type BuiltInRule, boundedNames, type RuleMatch, type ThrownView } from './rule.js';

const SYSTEM = 'mongodb';

const BY_CODE = new Map<number, string>([
  [11000, 'already_exists'], // DuplicateKey (E11000)
  [11001, 'already_exists'], // legacy duplicate key on update
  [12582, 'already_exists'], // legacy duplicate key
  [112, 'transaction_conflict'], // WriteConflict
  [244, 'transaction_conflict'], // TransactionAborted
  [251, 'transaction_conflict'], // NoSuchTransaction
  [24, 'transaction_conflict'], // LockTimeout
  [50, 'operation_timeout'], // MaxTimeMSExpired
  [262, 'operation_timeout'], // ExceededTimeLimit
  [64, 'operation_timeout'], // WriteConcernTimeout
  [18, 'credentials_rejected'], // AuthenticationFailed
  [13, 'configuration_error'], // Unauthorized: this service's user lacks a role
  [121, 'invalid_data'], // DocumentValidationFailure ($jsonSchema validator)
  [2, 'invalid_query'], // BadValue
  [9, 'invalid_query'], // FailedToParse
  [14, 'invalid_query'], // TypeMismatch
  [59, 'invalid_query'], // CommandNotFound
  [17, 'invalid_query'], // ProtocolError
  [6, 'connection_failed'], // HostUnreachable
  [7, 'connection_failed'], // HostNotFound
  [89, 'network_timeout'], // NetworkTimeout
  [9001, 'connection_reset'], // SocketException
  [91, 'dependency_unavailable'], // ShutdownInProgress
  [133, 'dependency_unavailable'], // FailedToSatisfyReadPreference
  [189, 'dependency_unavailable'], // PrimarySteppedDown
  [10058, 'dependency_unavailable'], // LegacyNotPrimary
  [10107, 'dependency_unavailable'], // NotWritablePrimary
  [11600, 'dependency_unavailable'], // InterruptedAtShutdown
  [11602, 'dependency_unavailable'], // InterruptedDueToReplStateChange
  [13435, 'dependency_unavailable'], // NotPrimaryNoSecondaryOk
  [13436, 'dependency_unavailable'], // NotPrimaryOrSecondary
  [11601, 'cancelled'], // Interrupted (killOp)
]);

/** Driver classes, when no server code decided. */
const BY_NAME = new Map<string, string>([
  ['MongoServerSelectionError', 'dependency_unavailable'],
  ['MongoNetworkTimeoutError', 'network_timeout'],
  ['MongoNetworkError', 'connection_failed'],
  ['MongoOperationTimeoutError', 'operation_timeout'], // client-side operation timeout (timeoutMS)
  ['MongoWaitQueueTimeoutError', 'too_many_connections'], // pool checkout timed out
  ['MongoTopologyClosedError', 'connection_failed'],
  ['MongoNotConnectedError', 'connection_failed'],
  ['MongoClientClosedError', 'connection_failed'],
  ['MongoParseError', 'configuration_error'], // the connection string
  ['MongoMissingCredentialsError', 'configuration_error'],
  ['MongoInvalidArgumentError', 'invalid_query'],
  ['MongoTransactionError', 'invalid_query'],
  ['MongoExpiredSessionError', 'invalid_query'],
]);

function labelled(view: ThrownView, label: string): boolean {
  const has = view.get('hasErrorLabel');
  if (typeof has === 'function') return (has as (l: string) => unknown).call(view.value, label) === true;
  const labels = view.get('errorLabels');
  if (Array.isArray(labels)) return labels.includes(label);
  const set = view.get('errorLabelSet');
  return set instanceof Set && set.has(label);
}

function mongoMatch(view: ThrownView): RuleMatch | undefined {
  const { code, name } = view;
  const isDriver = typeof name === 'string' && name.startsWith('Mongo');
  // A server error's code, also on look-alikes that only carry `code` (a serialised server error).
  if (typeof code === 'number' && (isDriver || code === 11000 || code === 11001)) {
    const mapped = BY_CODE.get(code);
    if (mapped !== undefined) return dbMatch(SYSTEM, String(code), mapped);
  }
  if (!isDriver) {
    // mongoose wraps the driver's server selection error in its own class.
    return name === 'MongooseServerSelectionError'
      ? dbMatch(SYSTEM, undefined, 'dependency_unavailable')
      : undefined;
  }
  const status = typeof code === 'number' && Number.isInteger(code) ? String(code) : undefined;
  if (labelled(view, 'TransientTransactionError'))
    return dbMatch(SYSTEM, status, 'transaction_conflict', true);
  if (labelled(view, 'RetryableWriteError')) return dbMatch(SYSTEM, status, 'dependency_unavailable', true);
  const mapped = BY_NAME.get(name as string);
  return mapped === undefined ? undefined : dbMatch(SYSTEM, status, mapped);
}

// mongoose's own text quotes the rejected values ("Cast to Number failed for value ..."): the fields say which.
/** The names mongoose.validation looks at (its gate). */
const MONGOOSE_NAMES: ReadonlySet<string> = new Set([
  'ValidationError',
  'CastError',
  'VersionError',
  'DocumentNotFoundError',
]);

const VALIDATION_MESSAGE = safeMessageOf('mongoose', undefined, 'invalid_params');

export const mongodbRules: readonly BuiltInRule[] = [
  {
    id: 'mongodb.server',
    gate: (name, code) => code === 'number' || name?.startsWith('Mongo') === true,
    libraries: ['mongodb', 'mongoose'],
    cases: [
      { matches: 'E11000 duplicate key (code 11000, 11001, 12582)', code: 'already_exists' },
      {
        matches:
          'WriteConflict 112, TransactionAborted 244, NoSuchTransaction 251, LockTimeout 24; label TransientTransactionError',
        code: 'transaction_conflict',
      },
      {
        matches:
          'not primary / stepped down / shutting down (91, 133, 189, 10058, 10107, 11600, 11602, 13435, 13436); label RetryableWriteError; MongoServerSelectionError',
        code: 'dependency_unavailable',
      },
      {
        matches:
          'MaxTimeMSExpired 50, ExceededTimeLimit 262, WriteConcernTimeout 64, MongoOperationTimeoutError',
        code: 'operation_timeout',
      },
      { matches: 'AuthenticationFailed 18', code: 'credentials_rejected' },
      {
        matches: 'Unauthorized 13, MongoParseError, MongoMissingCredentialsError',
        code: 'configuration_error',
      },
      { matches: 'DocumentValidationFailure 121', code: 'invalid_data' },
      {
        matches:
          'BadValue 2, FailedToParse 9, TypeMismatch 14, CommandNotFound 59, MongoInvalidArgumentError, MongoTransactionError',
        code: 'invalid_query',
      },
      {
        matches: 'MongoNetworkError, HostUnreachable 6, HostNotFound 7, MongoTopologyClosedError',
        code: 'connection_failed',
      },
      { matches: 'MongoNetworkTimeoutError, NetworkTimeout 89', code: 'network_timeout' },
      { matches: 'MongoWaitQueueTimeoutError (pool checkout)', code: 'too_many_connections' },
      { matches: 'Interrupted 11601 (killOp)', code: 'cancelled' },
    ],
    match: mongoMatch,
  },
  {
    id: 'mongoose.validation',
    gate: (name) => name !== undefined && MONGOOSE_NAMES.has(name),
    libraries: ['mongoose'],
    cases: [
      {
        matches: 'ValidationError (with `errors` by path) and CastError: `fields` = the failing paths',
        code: 'invalid_params',
      },
      { matches: 'VersionError (the document changed since it was loaded)', code: 'transaction_conflict' },
      { matches: 'DocumentNotFoundError', code: 'not_found' },
    ],
    match(view) {
      const { name } = view;
      if (name === 'ValidationError') {
        // mongoose's: `errors` keyed by path and a `_message` (yup's and joi's have neither).
        const errors = view.get('errors');
        if (errors === null || typeof errors !== 'object' || Array.isArray(errors)) return undefined;
        if (typeof view.get('_message') !== 'string') return undefined;
        return {
          code: 'invalid_params',
          message: VALIDATION_MESSAGE,
          details: { fields: boundedNames(Object.keys(errors)) },
        };
      }
      if (name === 'CastError') {
        const path = view.get('path');
        if (typeof path !== 'string' || typeof view.get('kind') !== 'string') return undefined;
        return {
          code: 'invalid_params',
          message: VALIDATION_MESSAGE,
          details: { fields: boundedNames([path]) },
        };
      }
      if (name === 'VersionError' || name === 'DocumentNotFoundError') {
        // mongoose's carry the document's `version`/`modifiedPaths` or `filter`: a bare name is not enough.
        if (view.get('modifiedPaths') === undefined && view.get('filter') === undefined) return undefined;
        return dbMatch(SYSTEM, undefined, name === 'VersionError' ? 'transaction_conflict' : 'not_found');
      }
      return undefined;
    },
  },
];
