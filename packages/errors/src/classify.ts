import { trace } from '@opentelemetry/api';
import { aggregateMembersOf } from './chain.js';
import { faultlineConfig } from './config.js';
import { FaultlineError, isFaultlineError, PRE_REDACTED } from './error.js';
import { decodeServiceError, isServiceErrorLike } from './grpc-status.js';
import { codeForHttpStatus } from './http-status.js';
import { redactBounded, redactionVersion } from './redact.js';
import { matchRules, type RuleMatch as Rule } from './rules/index.js';
import {
  isErrorLike,
  retryAfterOfThrown,
  safeStringify,
  stackOfThrown,
  thrownFields,
  typeNameOf,
} from './safe.js';
import { isValidCode, lookupErrorCode } from './taxonomy.js';

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
  const service = serviceOf(options);
  if (service !== undefined) out.service = service;
  const id = correlationOf(options);
  if (id !== undefined) out.correlationId = id;
  return out;
}

function serviceOf(options: ClassifyOptions | undefined): string | undefined {
  return options?.service ? options.service : undefined;
}

function correlationOf(options: ClassifyOptions | undefined): string | undefined {
  return (options?.correlationId ?? activeTraceId()) || undefined;
}

function activeTraceId(): string | undefined {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && ctx.traceId !== '00000000000000000000000000000000' ? ctx.traceId : undefined;
}

function build(value: unknown, options?: ClassifyOptions): FaultlineError {
  if (value === null || value === undefined) {
    return new FaultlineError({
      code: 'unknown_error',
      message: `${String(value)} was thrown`,
      exceptionType: String(value),
      ...base(options),
    });
  }
  const kind = typeof value;
  if (kind === 'string') {
    return new FaultlineError({
      code: 'unknown_error',
      message: value as string,
      exceptionType: 'string',
      ...base(options),
    });
  }
  if (kind !== 'object' && kind !== 'function') {
    return new FaultlineError({
      code: 'unknown_error',
      message: `a ${kind} was thrown: ${safeStringify(value, 128)}`,
      exceptionType: kind,
      ...base(options),
    });
  }
  return fromObject(value as object, options);
}

/**
 * The common case, a thrown Error: each property of the thrown value is read once, and the
 * FaultlineError is built from one options object of a fixed shape (no spreads).
 */
function fromObject(value: object, options: ClassifyOptions | undefined): FaultlineError {
  const service = serviceOf(options);
  const correlationId = correlationOf(options);
  const { code, name, message, cause } = thrownFields(value);
  // A grpc-js ServiceError has a numeric `code` (and `metadata`): only then is it worth decoding.
  if (typeof code === 'number' && isServiceErrorLike(value)) {
    const decoded = decodeServiceError(value);
    if (decoded) return decoded;
  }
  const errorLike = isErrorLike(value);
  const exceptionType = typeNameOf(value, name);
  const rule =
    ruleFrom(value, code, name, message, cause) ??
    findInCauses(value, cause, aggregateMembersOf(value, exceptionType));
  const replaced = rule?.message;
  const stack = errorLike && replaced === undefined ? stackOfThrown(value) : undefined;
  const details = rule?.details;
  // A built-in rule's frozen details are codes from its own tables (see rules/rule.ts): copied,
  // not redacted again (redaction is most of the cost of classifying a caught driver error).
  // A user rule's details are never frozen here (rules/index.ts copies them), so they are redacted.
  const trusted = details !== undefined && Object.isFrozen(details);
  // A frozen match is a built-in rule's (user matches are copies, never frozen): its message is a
  // fixed text, redacted once per text (for the rules and bound in force), not per error.
  const fixed = replaced !== undefined && Object.isFrozen(rule);
  const err = new FaultlineError({
    // Plain Errors thrown by code are execution failures; anything else is unknown.
    code: rule ? rule.code : errorLike ? 'execution_failed' : 'unknown_error',
    retryable: rule?.retryable,
    severity: rule?.severity,
    details: trusted ? undefined : details,
    message:
      replaced !== undefined
        ? fixed
          ? redactedFixedText(replaced)
          : replaced
        : typeof message === 'string' && message.length > 0
          ? message
          : errorLike
            ? `${exceptionType} with no message`
            : `a non-error ${exceptionType} was thrown: ${safeStringify(value, 256)}`,
    exceptionType,
    // A replaced message: the thrown value, with its own message and stack, is kept as the cause,
    // and this error's stack is its header alone (the frames are the cause's, shown once).
    stack:
      replaced !== undefined ? `FaultlineError: ${replaced}` : typeof stack === 'string' ? stack : undefined,
    cause: replaced !== undefined ? value : cause,
    retryAfterMs: rule?.retryAfterMs ?? retryAfterOfThrown(value),
    service,
    correlationId,
    [PRE_REDACTED]: fixed,
  } as ConstructorParameters<typeof FaultlineError>[0]);
  if (trusted) (err as { details: Record<string, unknown> }).details = { ...details };
  return err;
}

// Built-in rules' fixed messages, redacted: valid for one version of the redaction rules and one
// maxMessageLength; bounded (the texts are made from codes, but a made-up SQLSTATE makes a new one).
const fixedTexts = new Map<string, string>();
const MAX_FIXED_TEXTS = 256;
let fixedVersion = -1;
let fixedBound = -1;

function redactedFixedText(text: string): string {
  const version = redactionVersion();
  const bound = faultlineConfig().maxMessageLength;
  if (version !== fixedVersion || bound !== fixedBound) {
    fixedTexts.clear();
    fixedVersion = version;
    fixedBound = bound;
  }
  let redacted = fixedTexts.get(text);
  if (redacted === undefined) {
    redacted = redactBounded(text, bound);
    if (fixedTexts.size < MAX_FIXED_TEXTS) fixedTexts.set(text, redacted);
  }
  return redacted;
}

/**
 * The rule table first (user rules, Node's codes, the library families: rules/index.ts), then
 * the fallbacks: a Faultline code thrown as a plain object, a FAULTLINE_ERR_* usage error, an
 * HTTP status.
 */
function ruleFrom(
  value: object,
  code: unknown,
  name: unknown,
  message: unknown,
  cause: unknown,
): Rule | undefined {
  const matched = matchRules(value, code, name, message, cause);
  if (matched !== undefined) return matched;
  if (typeof code === 'string') {
    // Our own codes, e.g. a FaultlineError serialised to JSON and thrown again as a plain object.
    if (isValidCode(code) && lookupErrorCode(code)) return { code };
    if (code.startsWith('FAULTLINE_ERR_')) return { code: 'configuration_error' };
  }
  const status = httpStatusOf(value);
  if (status !== undefined) {
    const mapped = codeForHttpStatus(status);
    if (mapped) return { code: mapped };
  }
  return undefined;
}

/** `status`, else `statusCode`, else the `response`'s: read one by one, guarded, literal keys (see thrownFields). */
function httpStatusOf(value: object): number | undefined {
  const v = value as { status?: unknown; statusCode?: unknown; response?: unknown };
  let found: unknown;
  try {
    found = v.status;
    if (isErrorStatus(found)) return found;
  } catch {
    // unreadable: absent
  }
  try {
    found = v.statusCode;
    if (isErrorStatus(found)) return found;
  } catch {
    // unreadable: absent
  }
  let response: unknown;
  try {
    response = v.response;
  } catch {
    return undefined;
  }
  if (response && typeof response === 'object') {
    const r = response as { status?: unknown; statusCode?: unknown };
    try {
      found = r.status;
    } catch {
      found = undefined;
    }
    if (typeof found !== 'number' || !Number.isFinite(found)) {
      try {
        found = r.statusCode;
      } catch {
        found = undefined;
      }
    }
    if (isErrorStatus(found)) return found;
  }
  return undefined;
}

function isErrorStatus(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 400 && v <= 599;
}

/**
 * `fetch failed` wraps the real reason (ECONNREFUSED…) in `cause`; AggregateError in `errors`.
 * `cause` and `members` are the thrown value's own, already read.
 */
function findInCauses(value: unknown, cause: unknown, members: readonly unknown[]): Rule | undefined {
  // Most thrown errors have neither: no search state to allocate.
  if ((cause === undefined || cause === null) && members.length === 0) return undefined;
  const seen = new Set<unknown>([value]);
  let frontier: unknown[] = [cause, ...members];
  for (let depth = 0; depth < CAUSE_SEARCH_DEPTH && frontier.length > 0; depth++) {
    const next: unknown[] = [];
    for (const candidate of frontier) {
      if (candidate === undefined || candidate === null || seen.has(candidate)) continue;
      seen.add(candidate);
      if (isFaultlineError(candidate)) return { code: candidate.code, retryable: candidate.retryable };
      if (typeof candidate !== 'object' && typeof candidate !== 'function') continue;
      const fields = thrownFields(candidate);
      const rule = ruleFrom(candidate, fields.code, fields.name, fields.message, fields.cause);
      if (rule) return rule;
      next.push(fields.cause, ...aggregateMembersOf(candidate, typeNameOf(candidate, fields.name)));
    }
    frontier = next;
  }
  return undefined;
}
