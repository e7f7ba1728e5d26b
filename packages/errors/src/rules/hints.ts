// Shared pieces of the client-library rule families (HTTP clients, cloud SDKs, validation):
// retry hints read from response headers, bounded detail values. Everything here reads untrusted
// objects: every read is guarded, every value is checked and bounded, nothing throws.

/** The longest hint honoured: a day. Retry policies cap it further (resilience: `maxRetryAfterMs`). */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/** Header values longer than this are not parsed (a hostile server can send megabytes). */
const MAX_HEADER_CHARS = 256;

/** The `Retry-After` value for a delay: delta-seconds, rounded up (a client must not come back early). */
export function retryAfterHeader(retryAfterMs: number): string {
  return String(Math.ceil(Math.max(0, retryAfterMs) / 1000));
}

/**
 * A `Retry-After` header value as milliseconds from `now`: delta-seconds or an HTTP-date
 * (RFC 9110 §10.2.3). A date in the past is 0; anything else unreadable is undefined.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  // HTTP-date (IMF-fixdate, or the obsolete RFC 850 / asctime forms Date.parse also reads).
  if (text.length > 64 || !/[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

/**
 * One header of a response's headers, whatever holds them: a fetch `Headers` or axios
 * `AxiosHeaders` (a `get` method), or a plain object with lower-case keys (Node's
 * `IncomingHttpHeaders`, got, node-fetch's raw object). A list gives its first value. Only short
 * strings (and finite numbers, as AxiosHeaders may hold) come back; anything else is undefined.
 */
export function headerOf(headers: unknown, name: string): string | undefined {
  if (headers === null || typeof headers !== 'object') return undefined;
  let value: unknown;
  try {
    const get = (headers as { get?: unknown }).get;
    value =
      typeof get === 'function'
        ? (get as (this: unknown, key: string) => unknown).call(headers, name)
        : (headers as Record<string, unknown>)[name];
  } catch {
    return undefined;
  }
  if (Array.isArray(value)) value = value[0];
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  return typeof value === 'string' && value.length <= MAX_HEADER_CHARS ? value : undefined;
}

/**
 * The server's retry hint from response headers, in milliseconds from `now`, bounded to
 * [0, MAX_RETRY_AFTER_MS]: `Retry-After` (seconds or HTTP-date) first; then, for a 429 or 503
 * only, the rate-limit headers: `RateLimit` (IETF draft structured field, its `t` parameter),
 * `RateLimit-Reset` (delta seconds), `X-RateLimit-Reset` (delta seconds, or a Unix time in
 * seconds or milliseconds as GitHub and others send it).
 */
export function retryAfterFromHeaders(
  headers: unknown,
  status: number | undefined,
  now: number = Date.now(),
) {
  if (headers === null || typeof headers !== 'object') return undefined;
  const retryAfter = parseRetryAfter(headerOf(headers, 'retry-after'), now);
  if (retryAfter !== undefined) return retryAfter;
  if (status !== 429 && status !== 503) return undefined;
  const structured = headerOf(headers, 'ratelimit');
  if (structured !== undefined) {
    const t = /(?:^|;)\s*t=(\d{1,10})\s*(?:;|,|$)/.exec(structured);
    if (t) return Math.min(Number(t[1]) * 1000, MAX_RETRY_AFTER_MS);
  }
  const reset = deltaSeconds(headerOf(headers, 'ratelimit-reset'));
  if (reset !== undefined) return reset;
  const xReset = headerOf(headers, 'x-ratelimit-reset');
  if (xReset === undefined || !/^\s*\d{1,13}(?:\.\d{1,6})?\s*$/.test(xReset)) return undefined;
  const n = Number(xReset);
  // A number past 2001-09-09 in seconds is a time, not a delay; past 1e12 it is milliseconds.
  if (n >= 1e12) return clampMs(n - now);
  if (n >= 1e9) return clampMs(n * 1000 - now);
  return clampMs(n * 1000);
}

function deltaSeconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d{1,10}\s*$/.test(value)) return undefined;
  return clampMs(Number(value) * 1000);
}

function clampMs(ms: number): number | undefined {
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(0, Math.ceil(ms)), MAX_RETRY_AFTER_MS);
}

/** An HTTP error status (an integer in 400..599), else undefined. */
export function errorStatus(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599
    ? value
    : undefined;
}

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

/**
 * A service's or library's error name kept as a detail only when it is a plain identifier of at
 * most 64 characters (`ThrottlingException`, `ServerBusy`, `ERR_JWT_EXPIRED`): a message, a URL or
 * a value never passes.
 */
export function identifier(value: unknown): string | undefined {
  return typeof value === 'string' && IDENTIFIER.test(value) ? value : undefined;
}

/** The detail keys of the client-library families (documented in docs/error-codes.md). */
export const DETAIL = {
  /** The HTTP status of the response the error came with. */
  HTTP_STATUS: 'http.response.status_code',
  /** The library's own error code (`ECONNREFUSED`, axios `ERR_BAD_RESPONSE`, jose `ERR_JWT_EXPIRED`). */
  LIBRARY_CODE: 'error.library_code',
  /** The remote service's error name (AWS `ThrottlingException`, Azure `ServerBusy`, Kafka `NOT_LEADER_FOR_PARTITION`). */
  SERVICE_ERROR: 'error.service_code',
  /** The gRPC status code of a Google Cloud / gRPC client error. */
  RPC_STATUS: 'rpc.response.status_code',
  /** The failing input fields of a validation error (paths joined with '.'; never the values). */
  FIELDS: 'fields',
  /** Why a token was rejected (`token_expired`, `token_invalid`, ...). */
  REASON: 'auth.reason',
} as const;

/**
 * Documentation rows (RuleCase) for a lookup table: one row per yielded code, naming the keys
 * that yield it (`ECONNREFUSED, EHOSTUNREACH → connection_failed`), in the table's order.
 */
export function casesOf(
  entries: Iterable<readonly [key: string, code: string]>,
  describe: (keys: string) => string = (keys) => keys,
): { matches: string; code: string }[] {
  const byCode = new Map<string, string[]>();
  for (const [key, code] of entries) {
    const keys = byCode.get(code);
    if (keys === undefined) byCode.set(code, [key]);
    else keys.push(key);
  }
  return [...byCode].map(([code, keys]) => ({ matches: describe(keys.join(', ')), code }));
}

/**
 * `table[key]` for a key read from a thrown value: own entries only, so a name or code such as
 * `constructor` or `toString` finds nothing rather than Object.prototype's function.
 */
export function ownEntry<T>(table: Readonly<Record<string, T>>, key: unknown): T | undefined {
  return typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;
}
