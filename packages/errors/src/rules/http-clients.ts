import { codeForHttpStatus } from '../http-status.js';
import { safeGet } from '../safe.js';
import { casesOf, DETAIL, errorStatus, identifier, ownEntry, retryAfterFromHeaders } from './hints.js';
import { NODE_CODES } from './node.js';
import { type BuiltInRule, type RuleMatch, type ThrownView, WRAPPED } from './rule.js';

// HTTP clients: axios, got, ky, node-fetch, undici / Node's fetch. A client's error carries the
// response (status, headers) or the reason there was none (its own timer, a cancel, a system
// error, often as `cause`).
//
// Timeouts (documented in docs/error-codes.md): the time budget the caller gave the whole request
// (axios `timeout`, got `timeout.request` and the response/read/send phases, ky `timeout`,
// node-fetch v2 `timeout`, AbortSignal.timeout) ran out: `operation_timeout` (category timeout) —
// we do not know the network was at fault, only that the budget was spent. A timer on a network
// phase (got `lookup` / `connect` / `secureConnect` / `socket`, undici connect / headers / body
// timeouts, the OS's ETIMEDOUT) is `network_timeout` (category network). Both are retryable.

/** A response the client read: status (`status`, else `statusCode`) and headers. */
function fromResponse(response: unknown, libraryCode: unknown): RuleMatch | undefined {
  if (response === null || typeof response !== 'object') return undefined;
  const status = errorStatus(safeGet(response, 'status')) ?? errorStatus(safeGet(response, 'statusCode'));
  if (status === undefined) return undefined;
  return withStatus(status, safeGet(response, 'headers'), libraryCode);
}

/** The match for an HTTP error status: the status mapping, the retry hint, the details. */
export function withStatus(status: number, headers: unknown, libraryCode: unknown): RuleMatch {
  const details: Record<string, string | number> = { [DETAIL.HTTP_STATUS]: status };
  const name = identifier(libraryCode);
  if (name !== undefined) details[DETAIL.LIBRARY_CODE] = name;
  const match: RuleMatch = { code: codeForHttpStatus(status) ?? 'internal_error', details };
  const retryAfterMs = retryAfterFromHeaders(headers, status);
  if (retryAfterMs !== undefined) match.retryAfterMs = retryAfterMs;
  return match;
}

function simple(code: string, libraryCode: string): RuleMatch {
  return { code, details: { [DETAIL.LIBRARY_CODE]: libraryCode } };
}

/** The verdict on a client error's cause (the system error under it), with a fallback. */
function fromCause(view: ThrownView, fallback: RuleMatch | undefined): RuleMatch | undefined {
  const cause = view.cause;
  if (cause === undefined || cause === null) return fallback;
  return view.inner(cause) ?? fallback;
}

const AXIOS_NAMES: ReadonlySet<unknown> = new Set(['AxiosError', 'CanceledError']);

/** The names the got rule looks at (its gate). */
const GOT_NAMES: ReadonlySet<unknown> = new Set([
  'TimeoutError',
  'CancelError',
  'MaxRedirectsError',
  'ParseError',
  'RequestError',
  'ReadError',
  'UploadError',
]);

/** got's timer phases that are the network's (the others are the request's budget). */
const GOT_NETWORK_PHASES: ReadonlySet<unknown> = new Set(['lookup', 'connect', 'secureConnect', 'socket']);

/** node-fetch `FetchError.type`s that are not a system error (those carry `code`, see node.ts). */
const NODE_FETCH_TYPES: Readonly<Record<string, string>> = {
  'request-timeout': 'operation_timeout',
  'body-timeout': 'operation_timeout',
  'max-redirect': 'dependency_failed',
  'max-size': 'dependency_failed',
  'invalid-json': 'dependency_failed',
  system: 'connection_failed',
};

export const httpClientRules: readonly BuiltInRule[] = [
  {
    id: 'http-clients.axios',
    gate: (name) => AXIOS_NAMES.has(name),
    libraries: ['axios'],
    cases: [
      { matches: 'CanceledError / ERR_CANCELED', code: 'cancelled' },
      {
        matches: 'ECONNABORTED / ETIMEDOUT "timeout of N ms exceeded" (its `timeout` option)',
        code: 'operation_timeout',
      },
      {
        matches:
          '`response.status` 4xx/5xx (429 → rate_limited, 503 → service_unavailable...), Retry-After / RateLimit-* as the hint',
        code: WRAPPED,
      },
      { matches: 'ERR_NETWORK, or a system error as `cause`', code: WRAPPED },
    ],
    match(view) {
      const name = view.name;
      if (!AXIOS_NAMES.has(name)) return undefined;
      if (view.get('isAxiosError') !== true) return undefined;
      const code = view.code;
      if (code === 'ERR_CANCELED' || name === 'CanceledError') return simple('cancelled', 'ERR_CANCELED');
      if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
        // axios's own timer: "timeout of 100ms exceeded" (ETIMEDOUT with transitional.clarifyTimeoutError).
        const message = view.message;
        if (typeof message === 'string' && message.includes('timeout'))
          return simple('operation_timeout', code);
        return fromCause(view, simple(code === 'ETIMEDOUT' ? 'network_timeout' : 'connection_reset', code));
      }
      const answered = fromResponse(view.get('response'), code);
      if (answered !== undefined) return answered;
      if (code === 'ERR_NETWORK') return fromCause(view, simple('connection_failed', code));
      if (code === 'ERR_FR_TOO_MANY_REDIRECTS') return simple('dependency_failed', code);
      return fromCause(view, undefined);
    },
  },
  {
    // got and ky both raise `HTTPError` with the response (got: plain headers; ky: a fetch Response).
    id: 'http-clients.http-error',
    gate: (name, code) => name === 'HTTPError' || code === 'string',
    libraries: ['got', 'ky'],
    cases: [
      {
        matches:
          'HTTPError / ERR_NON_2XX_3XX_RESPONSE: `response.status` mapped like any HTTP status, with the hint',
        code: WRAPPED,
      },
    ],
    match(view) {
      if (view.name !== 'HTTPError' && view.code !== 'ERR_NON_2XX_3XX_RESPONSE') return undefined;
      return fromResponse(view.get('response'), view.code ?? 'HTTPError');
    },
  },
  {
    id: 'http-clients.got',
    gate: (name) => GOT_NAMES.has(name),
    libraries: ['got'],
    cases: [
      {
        matches: 'TimeoutError ETIMEDOUT, `event` lookup / connect / secureConnect / socket',
        code: 'network_timeout',
      },
      {
        matches: 'TimeoutError ETIMEDOUT, `event` request / send / response / read',
        code: 'operation_timeout',
      },
      { matches: 'CancelError ERR_CANCELED', code: 'cancelled' },
      { matches: 'MaxRedirectsError', code: 'dependency_failed' },
      { matches: 'RequestError / ReadError / UploadError: the system error under it', code: WRAPPED },
    ],
    match(view) {
      const name = view.name;
      if (name === 'TimeoutError' && view.code === 'ETIMEDOUT') {
        const phase = view.get('event');
        return simple(GOT_NETWORK_PHASES.has(phase) ? 'network_timeout' : 'operation_timeout', 'ETIMEDOUT');
      }
      if (name === 'CancelError' && view.code === 'ERR_CANCELED') return simple('cancelled', 'ERR_CANCELED');
      if (name === 'MaxRedirectsError') return simple('dependency_failed', 'ERR_TOO_MANY_REDIRECTS');
      if (name === 'ParseError') return fromResponse(view.get('response'), 'ERR_BODY_PARSE_FAILURE');
      // RequestError / ReadError / UploadError: the system error under it decides.
      if (name === 'RequestError' || name === 'ReadError' || name === 'UploadError')
        return fromCause(view, undefined);
      return undefined;
    },
  },
  {
    id: 'http-clients.ky',
    gate: (name) => name === 'NetworkError',
    libraries: ['ky'],
    cases: [{ matches: 'NetworkError (its cause decides; else)', code: 'connection_failed' }],
    match(view) {
      // ky 2: `NetworkError` wraps fetch's TypeError('fetch failed') and its cause.
      if (view.name !== 'NetworkError') return undefined;
      return fromCause(view, simple('connection_failed', 'NetworkError'));
    },
  },
  {
    id: 'http-clients.node-fetch',
    gate: (name) => name === 'FetchError',
    libraries: ['node-fetch'],
    cases: [
      ...casesOf(Object.entries(NODE_FETCH_TYPES), (keys) => `FetchError type ${keys}`),
      { matches: 'FetchError type system with a known system `code`', code: WRAPPED },
    ],
    match(view) {
      if (view.name !== 'FetchError') return undefined;
      const type = view.get('type');
      if (typeof type !== 'string') return undefined;
      const code = ownEntry(NODE_FETCH_TYPES, type);
      if (code === undefined) return undefined;
      // type 'system' carries the system error's code (node.ts knows it) as `code` and `errno`.
      if (type === 'system') {
        const system = typeof view.code === 'string' ? NODE_CODES.get(view.code) : undefined;
        if (system !== undefined) return system;
        return simple(code, identifier(view.get('errno')) ?? 'FetchError');
      }
      return simple(code, type);
    },
  },
  {
    // Node's fetch: TypeError('fetch failed') with the reason as `cause`; undici's ResponseError
    // (its `responseError` interceptor) with `statusCode` and `headers`.
    id: 'http-clients.undici',
    gate: (name, code) => code === 'string' || name === 'TypeError',
    libraries: ['undici', 'node:fetch'],
    cases: [
      { matches: "TypeError 'fetch failed' (its cause decides; else)", code: 'connection_failed' },
      { matches: 'UND_ERR_RESPONSE with `statusCode` (responseError interceptor)', code: WRAPPED },
    ],
    match(view) {
      if (view.code === 'UND_ERR_RESPONSE') {
        const status = errorStatus(view.get('statusCode'));
        return status === undefined ? undefined : withStatus(status, view.get('headers'), 'UND_ERR_RESPONSE');
      }
      if (view.name !== 'TypeError' || view.message !== 'fetch failed') return undefined;
      return fromCause(view, { code: 'connection_failed' });
    },
  },
];
