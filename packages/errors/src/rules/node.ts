import { casesOf, DETAIL, errorStatus } from './hints.js';
import type { BuiltInRule, RuleMatch, ThrownView } from './rule.js';

// Node's own errors: system errors (errno names in `code`), the `ERR_*` codes of `node:` modules
// and undici (Node's fetch), the DOMException names of AbortSignal, and the built-in error classes.
//
// Decisions (documented in docs/error-codes.md):
// - EACCES / EPERM / EROFS: a local resource this process may not use (a file, a port below 1024)
//   is the deployment's fault: `configuration_error`, not the caller's `permission_denied`.
// - ENOENT / ENOTDIR / EISDIR: a missing local file or directory is `configuration_error` (a file
//   the service needs is not where it was configured); a lookup of a user-named file should be
//   checked before the call and raised as `not_found` by the application.
// - ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE / ERR_INVALID_URL... are a call
//   with wrong arguments: a bug, `execution_failed` (the default of a plain Error, said explicitly
//   so the Node code is kept as a detail) — unless the value says it came from input (below).
// - SyntaxError is a bug, except when it is the body parser's: express/body-parser mark theirs
//   `type: 'entity.parse.failed'` with `status` 400 (and `body`), fastify raises
//   `FST_ERR_CTP_INVALID_JSON_BODY` / `FST_ERR_CTP_EMPTY_JSON_BODY`: those are `invalid_params`.
//   A bare SyntaxError (JSON.parse in code, no status, no parser mark) stays `execution_failed`.

/** Each entry is built once: a match allocates nothing on the error path. */
function entry(code: string, libraryCode: string, retryable?: boolean): RuleMatch {
  const match: RuleMatch = { code, details: Object.freeze({ [DETAIL.LIBRARY_CODE]: libraryCode }) };
  if (retryable !== undefined) match.retryable = retryable;
  return Object.freeze(match);
}

function table(rows: Record<string, [code: string, retryable?: boolean]>): ReadonlyMap<string, RuleMatch> {
  const map = new Map<string, RuleMatch>();
  for (const [libraryCode, [code, retryable]] of Object.entries(rows)) {
    map.set(libraryCode, entry(code, libraryCode, retryable));
  }
  return map;
}

/** Node system error codes (errno names), `ERR_*` codes of node: modules, undici codes. */
export const NODE_CODES: ReadonlyMap<string, RuleMatch> = table({
  // connections
  ECONNREFUSED: ['connection_failed'],
  EHOSTUNREACH: ['connection_failed'],
  EHOSTDOWN: ['connection_failed'],
  ENETUNREACH: ['connection_failed'],
  ENETDOWN: ['connection_failed'],
  EADDRNOTAVAIL: ['connection_failed'],
  ECONNABORTED: ['connection_reset'],
  ECONNRESET: ['connection_reset'],
  EPIPE: ['connection_reset'],
  ENOTCONN: ['connection_reset'],
  ERR_STREAM_PREMATURE_CLOSE: ['connection_reset'],
  ERR_HTTP2_STREAM_ERROR: ['connection_reset'],
  ERR_HTTP2_SESSION_ERROR: ['connection_reset'],
  ERR_HTTP2_GOAWAY_SESSION: ['connection_reset'],
  ERR_HTTP2_STREAM_CANCEL: ['cancelled'],
  ERR_SOCKET_CLOSED: ['connection_reset'],
  ETIMEDOUT: ['network_timeout'],
  ESOCKETTIMEDOUT: ['network_timeout'],
  ERR_SOCKET_CONNECTION_TIMEOUT: ['network_timeout'],
  // ENOTFOUND is an authoritative "no such host": retrying will not help. EAI_AGAIN is transient.
  ENOTFOUND: ['dns_failure', false],
  EAI_AGAIN: ['dns_failure'],
  EAI_FAIL: ['dns_failure', false],
  EAI_NONAME: ['dns_failure', false],
  ENODATA: ['dns_failure', false],
  ESERVFAIL: ['dns_failure'],
  ETIMEOUT: ['dns_failure'],
  // the process's resources
  EMFILE: ['file_descriptors_exhausted'],
  ENFILE: ['file_descriptors_exhausted'],
  ENOMEM: ['memory_exhausted'],
  ERR_OUT_OF_MEMORY: ['memory_exhausted'],
  ENOSPC: ['disk_full'],
  EDQUOT: ['disk_full'],
  EAGAIN: ['resource_exhausted'],
  EBUSY: ['resource_exhausted'],
  // a server socket: the port is taken (another instance, a stale process): the deployment's fault
  EADDRINUSE: ['configuration_error'],
  // local files and permissions (see the decisions above)
  EACCES: ['configuration_error'],
  EPERM: ['configuration_error'],
  EROFS: ['configuration_error'],
  ENOENT: ['configuration_error'],
  ENOTDIR: ['configuration_error'],
  EISDIR: ['configuration_error'],
  EEXIST: ['already_exists'],
  // TLS: a certificate the peer sent that we do not accept is a deployment problem, not transient
  CERT_HAS_EXPIRED: ['configuration_error'],
  DEPTH_ZERO_SELF_SIGNED_CERT: ['configuration_error'],
  SELF_SIGNED_CERT_IN_CHAIN: ['configuration_error'],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: ['configuration_error'],
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: ['configuration_error'],
  ERR_TLS_CERT_ALTNAME_INVALID: ['configuration_error'],
  ERR_TLS_CERT_ALTNAME_FORMAT: ['configuration_error'],
  ERR_TLS_HANDSHAKE_TIMEOUT: ['network_timeout'],
  ERR_SSL_WRONG_VERSION_NUMBER: ['configuration_error'],
  // modules
  MODULE_NOT_FOUND: ['import_error'],
  ERR_MODULE_NOT_FOUND: ['import_error'],
  ERR_REQUIRE_ESM: ['import_error'],
  ERR_UNKNOWN_FILE_EXTENSION: ['import_error'],
  ERR_PACKAGE_PATH_NOT_EXPORTED: ['import_error'],
  // cancellation
  ABORT_ERR: ['cancelled'],
  // bugs: wrong arguments, a response written twice
  ERR_INVALID_ARG_TYPE: ['execution_failed'],
  ERR_INVALID_ARG_VALUE: ['execution_failed'],
  ERR_OUT_OF_RANGE: ['execution_failed'],
  ERR_MISSING_ARGS: ['execution_failed'],
  ERR_INVALID_RETURN_VALUE: ['execution_failed'],
  ERR_INVALID_URL: ['execution_failed'],
  ERR_INVALID_STATE: ['execution_failed'],
  ERR_HTTP_HEADERS_SENT: ['execution_failed'],
  ERR_HTTP_INVALID_HEADER_VALUE: ['execution_failed'],
  ERR_INVALID_HTTP_TOKEN: ['execution_failed'],
  ERR_STREAM_WRITE_AFTER_END: ['execution_failed'],
  ERR_STREAM_DESTROYED: ['connection_reset'],
  ERR_STREAM_ALREADY_FINISHED: ['execution_failed'],
  ERR_STREAM_PUSH_AFTER_EOF: ['execution_failed'],
  ERR_METHOD_NOT_IMPLEMENTED: ['not_implemented'],
  ERR_FEATURE_UNAVAILABLE_ON_PLATFORM: ['not_implemented'],
  ERR_CHILD_PROCESS_STDIO_MAXBUFFER: ['resource_exhausted'],
  ERR_WORKER_OUT_OF_MEMORY: ['memory_exhausted'],
  ERR_BUFFER_TOO_LARGE: ['memory_exhausted'],
  ERR_STRING_TOO_LONG: ['memory_exhausted'],
  // undici (Node's fetch)
  UND_ERR_CONNECT_TIMEOUT: ['network_timeout'],
  UND_ERR_HEADERS_TIMEOUT: ['network_timeout'],
  UND_ERR_BODY_TIMEOUT: ['network_timeout'],
  UND_ERR_SOCKET: ['connection_reset'],
  UND_ERR_CLOSED: ['connection_reset'],
  UND_ERR_DESTROYED: ['connection_reset'],
  UND_ERR_ABORTED: ['cancelled'],
  UND_ERR_INFO: ['adapter_error'],
  UND_ERR_INVALID_ARG: ['adapter_error'],
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: ['adapter_error'],
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: ['connection_reset'],
  UND_ERR_RES_EXCEEDED_MAX_SIZE: ['adapter_error'],
  UND_ERR_NOT_SUPPORTED: ['adapter_error'],
  UND_ERR_PRX_TLS: ['connection_failed'],
});

/** Error class names (Node's, DOMException's, undici's) when `code` said nothing. */
export const NODE_NAMES: ReadonlyMap<string, RuleMatch> = new Map<string, RuleMatch>([
  ['AbortError', Object.freeze({ code: 'cancelled' })],
  // AbortSignal.timeout(): the caller's time budget ran out.
  ['TimeoutError', Object.freeze({ code: 'operation_timeout' })],
  ['ConnectTimeoutError', Object.freeze({ code: 'network_timeout' })],
  ['HeadersTimeoutError', Object.freeze({ code: 'network_timeout' })],
  ['BodyTimeoutError', Object.freeze({ code: 'network_timeout' })],
  ['SocketError', Object.freeze({ code: 'connection_reset' })],
]);

/**
 * Client libraries whose own timer reports with a Node code (axios `ECONNABORTED` / `ETIMEDOUT`
 * "timeout of 100ms exceeded", got's `TimeoutError` `ETIMEDOUT`): the code table leaves those to the
 * client's rule (http-clients.ts), which knows which timer fired.
 */
const CLIENT_TIMER_NAMES: ReadonlySet<unknown> = new Set(['AxiosError', 'TimeoutError']);

const ABORTED_BY_TIMEOUT: RuleMatch = Object.freeze({ code: 'operation_timeout' });

/** AbortSignal.timeout()'s reason (a DOMException named TimeoutError), as an abort's `cause`. */
function isTimeoutReason(cause: unknown): boolean {
  if (cause === null || typeof cause !== 'object') return false;
  try {
    return (cause as { name?: unknown }).name === 'TimeoutError';
  } catch {
    return false;
  }
}

const MEMORY_MESSAGE = /allocation failed|invalid (?:array|string|typed array) length|out of memory/i;

/** fastify's content-type-parser codes for a body that is not the JSON it claims. */
const BODY_PARSE_CODES: ReadonlyMap<string, RuleMatch> = new Map(
  ['FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_EMPTY_JSON_BODY', 'FST_ERR_CTP_INVALID_CONTENT_LENGTH'].map(
    (code) => [code, entry('invalid_params', code)],
  ),
);

const BODY_PARSE_FAILED = Object.freeze({
  code: 'invalid_params',
  details: Object.freeze({ [DETAIL.LIBRARY_CODE]: 'entity.parse.failed' }),
});

export const nodeRules: readonly BuiltInRule[] = [
  {
    id: 'node.code',
    gate: (_name, code) => code === 'string',
    libraries: ['node', 'undici'],
    cases: casesOf(
      [...NODE_CODES].map(([key, m]) => [key, m.code] as const),
      (keys) => `code ${keys}`,
    ),
    match(view) {
      const code = view.code;
      if (typeof code !== 'string') return undefined;
      const known = NODE_CODES.get(code);
      if (known === undefined) return undefined;
      if ((code === 'ECONNABORTED' || code === 'ETIMEDOUT') && CLIENT_TIMER_NAMES.has(view.name))
        return undefined;
      // An abort whose reason is AbortSignal.timeout()'s TimeoutError: the time budget ran out.
      if (code === 'ABORT_ERR' && isTimeoutReason(view.cause)) return ABORTED_BY_TIMEOUT;
      return known;
    },
  },
  {
    id: 'node.name',
    gate: (name) => name !== undefined && NODE_NAMES.has(name),
    libraries: ['node', 'undici'],
    cases: [
      ...casesOf(
        [...NODE_NAMES].map(([key, m]) => [key, m.code] as const),
        (keys) => `name ${keys}`,
      ),
      {
        matches: "AbortError / ABORT_ERR whose cause is AbortSignal.timeout()'s TimeoutError",
        code: 'operation_timeout',
      },
    ],
    match(view) {
      const name = view.name;
      if (typeof name !== 'string') return undefined;
      if (name === 'AbortError' && isTimeoutReason(view.cause)) return ABORTED_BY_TIMEOUT;
      // got's TimeoutError (code ETIMEDOUT, a phase in `event`): its rule knows which timer fired.
      if (name === 'TimeoutError' && view.code === 'ETIMEDOUT') return undefined;
      return NODE_NAMES.get(name);
    },
  },
  {
    id: 'node.range-error-allocation',
    gate: (name) => name === 'RangeError',
    libraries: ['node'],
    cases: [
      {
        matches: 'RangeError: allocation failed, invalid array/string/typed array length, out of memory',
        code: 'memory_exhausted',
      },
    ],
    match(view) {
      if (view.name !== 'RangeError') return undefined;
      const message = view.message;
      return typeof message === 'string' && MEMORY_MESSAGE.test(message)
        ? { code: 'memory_exhausted' }
        : undefined;
    },
  },
  {
    id: 'node.body-parse',
    gate: (name, code) => code === 'string' || name === 'SyntaxError',
    libraries: ['express', 'body-parser', 'fastify'],
    cases: [
      {
        matches: "SyntaxError with type 'entity.parse.failed' and status 400 (express.json / body-parser)",
        code: 'invalid_params',
      },
      {
        matches:
          'code FST_ERR_CTP_INVALID_JSON_BODY, FST_ERR_CTP_EMPTY_JSON_BODY, FST_ERR_CTP_INVALID_CONTENT_LENGTH (fastify)',
        code: 'invalid_params',
      },
    ],
    match: bodyParseError,
  },
];

/**
 * A request body that did not parse: fastify's codes, or body-parser's SyntaxError marked
 * `type: 'entity.parse.failed'` with a 400 status. Only a SyntaxError (or a code of fastify's) is
 * looked at further: a SyntaxError without those marks is code's own `JSON.parse`, a bug.
 */
function bodyParseError(view: ThrownView): RuleMatch | undefined {
  const code = view.code;
  if (typeof code === 'string' && code.startsWith('FST_ERR_CTP_')) return BODY_PARSE_CODES.get(code);
  if (view.name !== 'SyntaxError') return undefined;
  if (view.get('type') !== 'entity.parse.failed') return undefined;
  const status = errorStatus(view.get('status')) ?? errorStatus(view.get('statusCode'));
  return status === 400 ? BODY_PARSE_FAILED : undefined;
}
