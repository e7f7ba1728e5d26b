// Redis, as `ioredis` (ReplyError, MaxRetriesPerRequestError, ...) and `redis` v4+ (@redis/client:
// ErrorReply/SimpleError and its client errors, whose `name` is plain 'Error') throw it. A reply
// error is known by the upper-case word it starts with (https://redis.io/docs/latest/develop/reference/protocol-spec/#simple-errors);
// that prefix is kept as `db.response.status_code`, never the rest of the reply nor the command's arguments.
import { dbMatch, shortMessage } from './db.js';
import type { BuiltInRule, RuleMatch, ThrownView } from './rule.js';

const SYSTEM = 'redis';

const BY_PREFIX = new Map<string, string>([
  ['READONLY', 'dependency_unavailable'], // a replica (failover in progress)
  ['LOADING', 'dependency_unavailable'], // loading the dataset
  ['MASTERDOWN', 'dependency_unavailable'],
  ['TRYAGAIN', 'dependency_unavailable'], // cluster resharding
  ['CLUSTERDOWN', 'dependency_unavailable'],
  ['MOVED', 'dependency_unavailable'], // cluster redirect the client did not follow
  ['ASK', 'dependency_unavailable'],
  ['BUSY', 'dependency_unavailable'], // a script is running
  ['NOREPLICAS', 'dependency_unavailable'],
  ['MISCONF', 'dependency_unavailable'], // writes refused: the server cannot persist
  ['OOM', 'resource_exhausted'], // maxmemory reached (the server's memory)
  ['WRONGTYPE', 'invalid_query'],
  ['NOSCRIPT', 'invalid_query'],
  ['EXECABORT', 'invalid_query'],
  ['NOGROUP', 'invalid_query'],
  ['ERR', 'invalid_query'], // syntax error, unknown command, wrong number of arguments (see ERR_SUBCASES)
  ['BUSYGROUP', 'already_exists'], // XGROUP CREATE of an existing group
  ['NOAUTH', 'credentials_rejected'],
  ['WRONGPASS', 'credentials_rejected'],
  ['NOPERM', 'configuration_error'], // this service's ACL user lacks a permission
]);

/** Replies starting with ERR that mean something else than a wrong command. */
const ERR_SUBCASES: ReadonlyArray<readonly [string, string]> = [
  ['ERR max number of clients reached', 'too_many_connections'],
  ['ERR invalid password', 'credentials_rejected'],
  ['ERR AUTH', 'credentials_rejected'],
  ['ERR value is not', 'invalid_data'], // not an integer / a valid float / out of range
];

/** node-redis's reply classes (their `name` is 'Error', their prototype says what they are). */
const NODE_REDIS_REPLY_CLASSES = new Set(['ErrorReply', 'SimpleError', 'BlobError']);

/** The leading upper-case word of a reply, when it is one we know. */
function prefixOf(message: string): string | undefined {
  let end = 0;
  const max = Math.min(message.length, 12);
  while (end < max) {
    const c = message.charCodeAt(end);
    if (c < 65 || c > 90) break;
    end++;
  }
  if (end === 0 || (end < message.length && message.charCodeAt(end) !== 32)) return undefined;
  const prefix = message.slice(0, end);
  return BY_PREFIX.has(prefix) ? prefix : undefined;
}

function constructorName(value: object): string | undefined {
  try {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

function replyMatch(view: ThrownView): RuleMatch | undefined {
  const { name, message, code } = view;
  if (typeof message !== 'string' || code !== undefined) return undefined;
  const prefix = prefixOf(message);
  if (prefix === undefined) return undefined;
  // ioredis's ReplyError by name; node-redis's reply classes by their prototype.
  if (
    name !== 'ReplyError' &&
    !(name === 'Error' && NODE_REDIS_REPLY_CLASSES.has(constructorName(view.value) ?? ''))
  )
    return undefined;
  let mapped = BY_PREFIX.get(prefix)!;
  if (prefix === 'ERR') {
    for (const [start, sub] of ERR_SUBCASES) {
      if (message.startsWith(start)) {
        mapped = sub;
        break;
      }
    }
  }
  return dbMatch(SYSTEM, prefix, mapped);
}

/** The clients' own errors: ioredis's by class name, node-redis's (name 'Error') by their fixed message and class. */
const IOREDIS_NAMES = new Map<string, string>([
  ['MaxRetriesPerRequestError', 'connection_failed'], // the server stayed unreachable for every retry
  ['ClusterAllFailedError', 'dependency_unavailable'],
]);

const CLIENT_MESSAGES = new Map<string, readonly [klass: string | undefined, code: string]>([
  ['Connection is closed.', [undefined, 'connection_reset']], // ioredis
  ['Command timed out', [undefined, 'operation_timeout']], // ioredis commandTimeout
  ['The client is closed', ['ClientClosedError', 'connection_failed']],
  ['The client is offline', ['ClientOfflineError', 'connection_failed']],
  ['Connection timeout', ['ConnectionTimeoutError', 'network_timeout']],
  ['Socket closed unexpectedly', ['SocketClosedUnexpectedlyError', 'connection_reset']],
  ['Disconnects client', ['DisconnectsClientError', 'connection_reset']],
  ['All the root nodes are unavailable', ['RootNodesUnavailableError', 'dependency_unavailable']],
  ['Too many Cluster redirections', ['MaxCommandRedirectionsError', 'dependency_unavailable']],
  ['The command was aborted', ['AbortError', 'cancelled']],
  ['One (or more) of the watched keys has been changed', ['WatchError', 'transaction_conflict']],
]);

function clientMatch(view: ThrownView): RuleMatch | undefined {
  const { name, code } = view;
  if (code !== undefined) return undefined;
  if (typeof name === 'string' && name !== 'Error') {
    const mapped = IOREDIS_NAMES.get(name);
    return mapped === undefined ? undefined : dbMatch(SYSTEM, undefined, mapped);
  }
  const message = shortMessage(view.message);
  const known = message === undefined ? undefined : CLIENT_MESSAGES.get(message);
  if (known === undefined) return undefined;
  const [klass, mapped] = known;
  if (klass !== undefined && constructorName(view.value) !== klass) return undefined;
  return dbMatch(SYSTEM, undefined, mapped);
}

/** node-redis's SocketTimeoutError: its message carries the timeout, so it is known by its class. */
function socketTimeoutMatch(view: ThrownView): RuleMatch | undefined {
  const { name, code, message } = view;
  if (
    name !== 'Error' ||
    code !== undefined ||
    typeof message !== 'string' ||
    !message.startsWith('Socket timeout')
  )
    return undefined;
  const klass = constructorName(view.value);
  return klass === 'SocketTimeoutError' || klass === 'SocketTimeoutDuringMaintenanceError'
    ? dbMatch(SYSTEM, undefined, 'network_timeout')
    : undefined;
}

export const redisRules: readonly BuiltInRule[] = [
  {
    id: 'redis.reply',
    gate: (name, code) => code === 'undefined' && (name === 'ReplyError' || name === 'Error'),
    libraries: ['ioredis', 'redis'],
    cases: [
      {
        matches:
          'READONLY, LOADING, MASTERDOWN, TRYAGAIN, CLUSTERDOWN, MOVED, ASK, BUSY, NOREPLICAS, MISCONF',
        code: 'dependency_unavailable',
      },
      { matches: 'OOM (the server hit maxmemory)', code: 'resource_exhausted' },
      {
        matches: 'WRONGTYPE, NOSCRIPT, EXECABORT, NOGROUP, ERR (syntax, unknown command, ...)',
        code: 'invalid_query',
      },
      { matches: 'ERR value is not an integer / a valid float / in range', code: 'invalid_data' },
      { matches: 'ERR max number of clients reached', code: 'too_many_connections' },
      { matches: 'NOAUTH, WRONGPASS, ERR invalid password', code: 'credentials_rejected' },
      { matches: 'NOPERM (ACL)', code: 'configuration_error' },
      { matches: 'BUSYGROUP', code: 'already_exists' },
    ],
    match: replyMatch,
  },
  {
    id: 'redis.client',
    gate: (name, code) =>
      code === 'undefined' && (name === undefined || name === 'Error' || IOREDIS_NAMES.has(name)),
    libraries: ['ioredis', 'redis'],
    cases: [
      {
        matches: 'ioredis MaxRetriesPerRequestError; node-redis ClientClosedError, ClientOfflineError',
        code: 'connection_failed',
      },
      {
        matches:
          "ioredis 'Connection is closed.'; node-redis SocketClosedUnexpectedlyError, DisconnectsClientError",
        code: 'connection_reset',
      },
      { matches: 'node-redis ConnectionTimeoutError, SocketTimeoutError', code: 'network_timeout' },
      { matches: "ioredis 'Command timed out' (commandTimeout)", code: 'operation_timeout' },
      {
        matches:
          'ioredis ClusterAllFailedError; node-redis RootNodesUnavailableError, MaxCommandRedirectionsError',
        code: 'dependency_unavailable',
      },
      { matches: 'node-redis WatchError (a WATCHed key changed)', code: 'transaction_conflict' },
      { matches: 'node-redis AbortError', code: 'cancelled' },
    ],
    match(view) {
      return clientMatch(view) ?? socketTimeoutMatch(view);
    },
  },
];
