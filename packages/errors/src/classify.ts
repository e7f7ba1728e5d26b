import { trace } from '@opentelemetry/api';
import { aggregateMembers } from './chain.js';
import { FaultlineError, isFaultlineError } from './error.js';
import { decodeServiceError, isServiceErrorLike } from './grpc-status.js';
import { codeForHttpStatus } from './http-status.js';
import { isErrorLike, safeGet, safeNumber, safeString, safeStringify, typeName } from './safe.js';
import { isValidCode, lookupErrorCode } from './taxonomy.js';

interface Rule {
  code: string;
  retryable?: boolean;
}

/** Node system error codes (errno names) and undici/Node error codes we know. */
const CODE_RULES: Record<string, Rule> = {
  ECONNREFUSED: { code: 'connection_failed' },
  EHOSTUNREACH: { code: 'connection_failed' },
  ENETUNREACH: { code: 'connection_failed' },
  ENETDOWN: { code: 'connection_failed' },
  ECONNABORTED: { code: 'connection_reset' },
  ECONNRESET: { code: 'connection_reset' },
  EPIPE: { code: 'connection_reset' },
  ERR_STREAM_PREMATURE_CLOSE: { code: 'connection_reset' },
  ETIMEDOUT: { code: 'network_timeout' },
  ESOCKETTIMEDOUT: { code: 'network_timeout' },
  // ENOTFOUND is an authoritative "no such host": retrying will not help. EAI_AGAIN is transient.
  ENOTFOUND: { code: 'dns_failure', retryable: false },
  EAI_AGAIN: { code: 'dns_failure' },
  EAI_FAIL: { code: 'dns_failure', retryable: false },
  EMFILE: { code: 'file_descriptors_exhausted' },
  ENFILE: { code: 'file_descriptors_exhausted' },
  ENOMEM: { code: 'memory_exhausted' },
  ERR_OUT_OF_MEMORY: { code: 'memory_exhausted' },
  ENOSPC: { code: 'disk_full' },
  EDQUOT: { code: 'disk_full' },
  MODULE_NOT_FOUND: { code: 'import_error' },
  ERR_MODULE_NOT_FOUND: { code: 'import_error' },
  ERR_REQUIRE_ESM: { code: 'import_error' },
  ABORT_ERR: { code: 'cancelled' },
  // undici (Node's fetch)
  UND_ERR_CONNECT_TIMEOUT: { code: 'network_timeout' },
  UND_ERR_HEADERS_TIMEOUT: { code: 'network_timeout' },
  UND_ERR_BODY_TIMEOUT: { code: 'network_timeout' },
  UND_ERR_SOCKET: { code: 'connection_reset' },
  UND_ERR_CLOSED: { code: 'connection_reset' },
  UND_ERR_DESTROYED: { code: 'connection_reset' },
  UND_ERR_ABORTED: { code: 'cancelled' },
  UND_ERR_INFO: { code: 'adapter_error' },
  UND_ERR_INVALID_ARG: { code: 'adapter_error' },
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: { code: 'adapter_error' },
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: { code: 'connection_reset' },
  UND_ERR_RES_EXCEEDED_MAX_SIZE: { code: 'adapter_error' },
  UND_ERR_NOT_SUPPORTED: { code: 'adapter_error' },
};

const NAME_RULES: Record<string, Rule> = {
  AbortError: { code: 'cancelled' },
  TimeoutError: { code: 'operation_timeout' },
  ConnectTimeoutError: { code: 'network_timeout' },
  HeadersTimeoutError: { code: 'network_timeout' },
  BodyTimeoutError: { code: 'network_timeout' },
  SocketError: { code: 'connection_reset' },
};

export interface ClassifyOptions {
  service?: string;
  correlationId?: string;
}

/** How many causes down we look for a recognisable error when the outer one is generic. */
const CAUSE_SEARCH_DEPTH = 5;

/**
 * Any thrown value to a FaultlineError. Total: never throws, whatever the value (hostile
 * getters, throwing Proxies, cycles, 10 MB messages). An already structured error comes back as is.
 */
export function toFaultlineError(value: unknown, options?: ClassifyOptions): FaultlineError {
  try {
    if (isFaultlineError(value)) return value;
    const built = build(value, options);
    return built;
  } catch {
    return fallback(options);
  }
}

function fallback(options?: ClassifyOptions): FaultlineError {
  try {
    return new FaultlineError({
      code: 'unknown_error',
      message: 'an unreadable value was thrown',
      ...base(options),
    });
  } catch {
    // Only reachable if the environment itself is broken (e.g. Error patched to throw).
    return Object.assign(Object.create(FaultlineError.prototype), {
      code: 'unknown_error',
      category: 'system',
      severity: 'high',
      retryable: false,
      message: 'an unreadable value was thrown',
      details: {},
      remote: false,
      exceptionType: 'unknown',
    }) as FaultlineError;
  }
}

function base(options?: ClassifyOptions): { service?: string; correlationId?: string } {
  const out: { service?: string; correlationId?: string } = {};
  if (options?.service) out.service = options.service;
  const id = options?.correlationId ?? activeTraceId();
  if (id) out.correlationId = id;
  return out;
}

function activeTraceId(): string | undefined {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && ctx.traceId !== '00000000000000000000000000000000' ? ctx.traceId : undefined;
}

function build(value: unknown, options?: ClassifyOptions): FaultlineError {
  const common = base(options);
  if (value === null || value === undefined) {
    return new FaultlineError({
      code: 'unknown_error',
      message: `${String(value)} was thrown`,
      exceptionType: String(value),
      ...common,
    });
  }
  const kind = typeof value;
  if (kind === 'string') {
    return new FaultlineError({
      code: 'unknown_error',
      message: value as string,
      exceptionType: 'string',
      ...common,
    });
  }
  if (kind !== 'object' && kind !== 'function') {
    return new FaultlineError({
      code: 'unknown_error',
      message: `a ${kind} was thrown: ${safeStringify(value, 128)}`,
      exceptionType: kind,
      ...common,
    });
  }

  if (isServiceErrorLike(value)) {
    const decoded = decodeServiceError(value);
    if (decoded) return decoded;
  }

  const errorLike = isErrorLike(value);
  const rule = ruleFor(value) ?? findInCauses(value);
  const message = messageOf(value, errorLike);
  const stack = errorLike ? safeString(value, 'stack') : undefined;
  const cause = safeGet(value, 'cause');
  const retryAfterMs = safeNumber(value, 'retryAfterMs');
  const opts = {
    message,
    exceptionType: typeName(value),
    ...(stack !== undefined ? { stack } : {}),
    ...(cause !== undefined ? { cause } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...common,
  };
  if (rule) {
    return new FaultlineError({
      code: rule.code,
      ...(rule.retryable !== undefined ? { retryable: rule.retryable } : {}),
      ...opts,
    });
  }
  // Plain Errors thrown by code are execution failures; anything else is unknown.
  return new FaultlineError({ code: errorLike ? 'execution_failed' : 'unknown_error', ...opts });
}

function ruleFor(value: unknown): Rule | undefined {
  const code = safeGet(value, 'code');
  if (typeof code === 'string') {
    const known = CODE_RULES[code];
    if (known) return known;
    // Our own codes, e.g. a FaultlineError serialised to JSON and thrown again as a plain object.
    if (isValidCode(code) && lookupErrorCode(code)) return { code };
    if (code.startsWith('FAULTLINE_ERR_')) return { code: 'configuration_error' };
  }
  const name = safeString(value, 'name');
  if (name) {
    const known = NAME_RULES[name];
    if (known) return known;
  }
  const status = httpStatusOf(value);
  if (status !== undefined) {
    const mapped = codeForHttpStatus(status);
    if (mapped) return { code: mapped };
  }
  if (name === 'RangeError') {
    const message = safeString(value, 'message') ?? '';
    if (/allocation failed|invalid (?:array|string|typed array) length|out of memory/i.test(message)) {
      return { code: 'memory_exhausted' };
    }
  }
  return undefined;
}

function httpStatusOf(value: unknown): number | undefined {
  for (const key of ['status', 'statusCode']) {
    const v = safeNumber(value, key);
    if (v !== undefined && Number.isInteger(v) && v >= 400 && v <= 599) return v;
  }
  const response = safeGet(value, 'response');
  if (response && typeof response === 'object') {
    const v = safeNumber(response, 'status') ?? safeNumber(response, 'statusCode');
    if (v !== undefined && Number.isInteger(v) && v >= 400 && v <= 599) return v;
  }
  return undefined;
}

/** `fetch failed` wraps the real reason (ECONNREFUSED…) in `cause`; AggregateError in `errors`. */
function findInCauses(value: unknown): Rule | undefined {
  const seen = new Set<unknown>([value]);
  let frontier: unknown[] = [safeGet(value, 'cause'), ...aggregateMembers(value)];
  for (let depth = 0; depth < CAUSE_SEARCH_DEPTH && frontier.length > 0; depth++) {
    const next: unknown[] = [];
    for (const candidate of frontier) {
      if (candidate === undefined || candidate === null || seen.has(candidate)) continue;
      seen.add(candidate);
      if (isFaultlineError(candidate)) return { code: candidate.code, retryable: candidate.retryable };
      const rule = ruleFor(candidate);
      if (rule) return rule;
      next.push(safeGet(candidate, 'cause'), ...aggregateMembers(candidate));
    }
    frontier = next;
  }
  return undefined;
}

function messageOf(value: unknown, errorLike: boolean): string {
  const message = safeGet(value, 'message');
  if (typeof message === 'string' && message.length > 0) return message;
  if (errorLike) return `${typeName(value)} with no message`;
  return `a non-error ${typeName(value)} was thrown: ${safeStringify(value, 256)}`;
}
