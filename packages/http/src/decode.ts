import {
  CORRELATION_HEADER,
  type FaultlineError,
  fromProblemDetails,
  MAX_PROBLEM_BYTES,
  parseRetryAfter,
} from '@faultline/errors';
import { isWireServiceName } from '@faultline/errors/internal';
import { type BodyLike, discardBody, readBounded } from './read-body.js';
import { FaultlineHttpUsageError } from './usage-error.js';

export interface ResponseDecodeOptions {
  /** Name of the service called, for answers that do not name their origin (default: the URL's host). */
  service?: string;
  /** Read at most this many bytes of the body (default MAX_PROBLEM_BYTES, 64 KiB). */
  maxBytes?: number;
  /** The time `Retry-After` dates are measured from (default Date.now()). */
  now?: number;
}

/** A WHATWG fetch Response (global fetch, undici's fetch). */
export interface FetchResponseLike {
  status: number;
  statusText?: string;
  url?: string;
  bodyUsed?: boolean;
  headers: { get(name: string): string | null };
  body: ReadableStream<Uint8Array> | null;
}

/** The result of undici's `request()`. */
export interface UndiciResponseLike {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Uint8Array | string> & { destroy?(): unknown };
}

export type ResponseLike = FetchResponseLike | UndiciResponseLike;

interface Normalized {
  status: number;
  statusText: string;
  url: string | undefined;
  bodyUsed: boolean;
  header(name: string): string | undefined;
  body: BodyLike;
}

function normalize(res: unknown): Normalized {
  const r = res as Partial<FetchResponseLike & UndiciResponseLike> | null;
  if (r && typeof r.status === 'number' && typeof r.headers?.get === 'function') {
    const headers = r.headers as FetchResponseLike['headers'];
    return {
      status: r.status,
      statusText: typeof r.statusText === 'string' ? r.statusText : '',
      url: typeof r.url === 'string' ? r.url : undefined,
      bodyUsed: r.bodyUsed === true,
      header: (name) => headers.get(name) ?? undefined,
      body: r.body as BodyLike,
    };
  }
  if (r && typeof r.statusCode === 'number' && r.headers !== null && typeof r.headers === 'object') {
    const headers = r.headers as UndiciResponseLike['headers'];
    return {
      status: r.statusCode,
      statusText: '',
      url: undefined,
      bodyUsed: false,
      header: (name) => {
        const value = headers[name];
        return Array.isArray(value) ? value.join(', ') : value;
      },
      body: r.body as BodyLike,
    };
  }
  throw new FaultlineHttpUsageError(
    'FAULTLINE_ERR_HTTP_NOT_A_RESPONSE',
    `expected a fetch Response or an undici request() result; got ${r === null ? 'null' : typeof r}`,
  );
}

function isJson(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json' || (type?.endsWith('+json') ?? false);
}

function parseObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function hostOf(url: string | undefined): string | undefined {
  try {
    return url ? new URL(url).host || undefined : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The FaultlineError an HTTP error response stands for, or `undefined` when the response is not
 * an error (status below 400; its body is left unread). Reads a problem+json (or any JSON) body
 * of at most `maxBytes`, cancelling larger ones; falls back to the status for other, garbage or
 * oversized bodies. `Retry-After` (delta-seconds or HTTP-date) fills `retryAfterMs` and
 * `x-correlation-id` the correlation ID when the body has none. The error is `remote`, its
 * `service` the body's, else `options.service`, else the URL's host. Throws only
 * FAULTLINE_ERR_HTTP_NOT_A_RESPONSE, for a value that is no response at all.
 */
export async function errorFromResponse(
  res: ResponseLike,
  options: ResponseDecodeOptions = {},
): Promise<FaultlineError | undefined> {
  const r = normalize(res);
  if (r.status < 400) return undefined;
  const max = options.maxBytes ?? MAX_PROBLEM_BYTES;
  const declared = Number(r.header('content-length'));
  let body: Record<string, unknown> | undefined;
  if (isJson(r.header('content-type')) && !r.bodyUsed && !(declared > max)) {
    const bytes = await readBounded(r.body, max);
    body = bytes && parseObject(bytes);
  } else if (!r.bodyUsed) {
    await discardBody(r.body);
  }
  const wire: Record<string, unknown> = body
    ? { ...body }
    : { title: `HTTP ${r.status}${r.statusText ? ` ${r.statusText}` : ''}` };
  if (!isWireServiceName(wire.service)) {
    const origin = options.service ?? hostOf(r.url);
    if (origin !== undefined) wire.service = origin;
  }
  if (!(typeof wire.retryAfterMs === 'number' && wire.retryAfterMs >= 0)) {
    const ms = parseRetryAfter(r.header('retry-after'), options.now);
    if (ms !== undefined) wire.retryAfterMs = ms;
  }
  if (typeof wire.correlationId !== 'string') {
    const id = r.header(CORRELATION_HEADER);
    if (id !== undefined) wire.correlationId = id;
  }
  return fromProblemDetails(wire, r.status);
}

/** `res` when it is not an error; else throws its FaultlineError (errorFromResponse). */
export async function ensureOk<T extends ResponseLike>(
  res: T,
  options: ResponseDecodeOptions = {},
): Promise<T> {
  const err = await errorFromResponse(res, options);
  if (err) throw err;
  return res;
}
