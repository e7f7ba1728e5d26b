import { casesOf, DETAIL, identifier, ownEntry } from './hints.js';
import { type BuiltInRule, type RuleMatch, type ThrownView, WRAPPED } from './rule.js';

// Kafka (kafkajs): every error is a `KafkaJS*` class with `retriable`, which the client sets from
// the broker's error table; the rule keeps it as the error's `retryable` whatever the code.
// A protocol error's broker error name (`type`, e.g. NOT_LEADER_FOR_PARTITION) is the detail.

/** Broker error types (kafkajs `KafkaJSProtocolError.type`) that have a closer code than the default. */
const PROTOCOL_TYPES: Readonly<Record<string, string>> = {
  // leadership moves, coordinators loading, rebalances: the cluster cannot serve this right now
  NOT_LEADER_FOR_PARTITION: 'dependency_unavailable',
  LEADER_NOT_AVAILABLE: 'dependency_unavailable',
  BROKER_NOT_AVAILABLE: 'dependency_unavailable',
  REPLICA_NOT_AVAILABLE: 'dependency_unavailable',
  NOT_ENOUGH_REPLICAS: 'dependency_unavailable',
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 'dependency_unavailable',
  GROUP_LOAD_IN_PROGRESS: 'dependency_unavailable',
  GROUP_COORDINATOR_NOT_AVAILABLE: 'dependency_unavailable',
  NOT_COORDINATOR_FOR_GROUP: 'dependency_unavailable',
  REBALANCE_IN_PROGRESS: 'dependency_unavailable',
  NOT_CONTROLLER: 'dependency_unavailable',
  KAFKA_STORAGE_ERROR: 'dependency_unavailable',
  PREFERRED_LEADER_NOT_AVAILABLE: 'dependency_unavailable',
  FENCED_LEADER_EPOCH: 'dependency_unavailable',
  UNKNOWN_LEADER_EPOCH: 'dependency_unavailable',
  OFFSET_NOT_AVAILABLE: 'dependency_unavailable',
  REQUEST_TIMED_OUT: 'network_timeout',
  NETWORK_EXCEPTION: 'connection_reset',
  UNKNOWN_TOPIC_OR_PARTITION: 'not_found',
  GROUP_ID_NOT_FOUND: 'not_found',
  TOPIC_ALREADY_EXISTS: 'already_exists',
  CONCURRENT_TRANSACTIONS: 'transaction_conflict',
  TOPIC_AUTHORIZATION_FAILED: 'permission_denied',
  GROUP_AUTHORIZATION_FAILED: 'permission_denied',
  CLUSTER_AUTHORIZATION_FAILED: 'permission_denied',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'permission_denied',
  SASL_AUTHENTICATION_FAILED: 'credentials_rejected',
  UNSUPPORTED_SASL_MECHANISM: 'configuration_error',
  MESSAGE_TOO_LARGE: 'invalid_data',
  RECORD_LIST_TOO_LARGE: 'invalid_data',
  INVALID_RECORD: 'invalid_data',
  CORRUPT_MESSAGE: 'invalid_data',
  INVALID_TIMESTAMP: 'invalid_data',
  OFFSET_OUT_OF_RANGE: 'invalid_params',
  INVALID_TOPIC_EXCEPTION: 'invalid_params',
  INVALID_REQUIRED_ACKS: 'configuration_error',
  INVALID_CONFIG: 'configuration_error',
  INVALID_PARTITIONS: 'invalid_params',
  INVALID_REPLICATION_FACTOR: 'invalid_params',
  POLICY_VIOLATION: 'permission_denied',
  UNSUPPORTED_VERSION: 'configuration_error',
};

/** kafkajs's own error classes (by name) that are not protocol errors. */
const CLIENT_NAMES: Readonly<Record<string, string>> = {
  KafkaJSConnectionError: 'connection_failed',
  KafkaJSConnectionClosedError: 'connection_reset',
  KafkaJSRequestTimeoutError: 'network_timeout',
  KafkaJSBrokerNotFound: 'dependency_unavailable',
  KafkaJSNoBrokerAvailableError: 'dependency_unavailable',
  KafkaJSGroupCoordinatorNotFound: 'dependency_unavailable',
  KafkaJSMetadataNotLoaded: 'dependency_unavailable',
  KafkaJSTopicMetadataNotLoaded: 'dependency_unavailable',
  KafkaJSStaleTopicMetadataAssignment: 'dependency_unavailable',
  KafkaJSFetcherRebalanceError: 'dependency_unavailable',
  KafkaJSSASLAuthenticationError: 'credentials_rejected',
  KafkaJSTimeout: 'operation_timeout',
  KafkaJSLockTimeout: 'operation_timeout',
  KafkaJSOffsetOutOfRange: 'invalid_params',
  KafkaJSNotImplemented: 'not_implemented',
  KafkaJSServerDoesNotSupportApiKey: 'configuration_error',
  KafkaJSInvariantViolation: 'execution_failed',
  KafkaJSInvalidVarIntError: 'invalid_data',
  KafkaJSInvalidLongError: 'invalid_data',
  KafkaJSUnsupportedMagicByteInMessageSet: 'invalid_data',
  KafkaJSPartialMessageError: 'invalid_data',
};

function kafkaMatch(view: ThrownView, name: string): RuleMatch {
  const retriable = view.get('retriable');
  const details: Record<string, string> = { [DETAIL.LIBRARY_CODE]: name };
  let code: string | undefined;
  if (name === 'KafkaJSNumberOfRetriesExceeded') {
    // The client retried already and gave up: the last failure decides the code, not the retry.
    const inner = view.cause === undefined || view.cause === null ? undefined : view.inner(view.cause);
    if (inner !== undefined) return { ...inner, retryable: false };
    code = 'dependency_failed';
  } else {
    const type = view.get('type');
    const service = identifier(type);
    if (service !== undefined) details[DETAIL.SERVICE_ERROR] = service;
    code = ownEntry(PROTOCOL_TYPES, type) ?? ownEntry(CLIENT_NAMES, name);
  }
  const match: RuleMatch = {
    code: code ?? (retriable === true ? 'dependency_unavailable' : 'dependency_failed'),
    details,
  };
  if (typeof retriable === 'boolean') match.retryable = retriable;
  return match;
}

export const messagingRules: readonly BuiltInRule[] = [
  {
    id: 'messaging.kafkajs',
    gate: (name) => name?.startsWith('KafkaJS') === true,
    libraries: ['kafkajs'],
    cases: [
      ...casesOf(Object.entries(PROTOCOL_TYPES), (keys) => `KafkaJSProtocolError type ${keys}`),
      ...casesOf(Object.entries(CLIENT_NAMES), (keys) => `name ${keys}`),
      { matches: 'KafkaJSNumberOfRetriesExceeded: its cause decides, retryable false', code: WRAPPED },
      { matches: 'another KafkaJS* error with `retriable` true', code: 'dependency_unavailable' },
      { matches: 'another KafkaJS* error with `retriable` false', code: 'dependency_failed' },
    ],
    match(view) {
      const name = view.name;
      if (typeof name !== 'string' || !name.startsWith('KafkaJS')) return undefined;
      return kafkaMatch(view, name);
    },
  },
];
