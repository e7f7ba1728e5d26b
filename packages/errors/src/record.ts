import {
  type Attributes,
  type Counter,
  metrics,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { ATTR } from './attributes.js';
import { type ChainLink, causeChain, causeHeader } from './chain.js';
import { toFaultlineError } from './classify.js';
import { faultlineConfig } from './config.js';
import { type FaultlineError, isFaultlineError, memoOf } from './error.js';
import { fingerprint } from './fingerprint.js';
import { COUNT_DEFERRAL_KEY, COUNTED_KEY, processWide, RECORDED_KEY } from './global-keys.js';
import { grpcCodeName } from './grpc-codes.js';
import { httpStatusFor } from './http-status.js';
import { GRPC_SERVER_FAILURE_CODES } from './policy.js';
import { admit, recordInFull } from './record-policy.js';
import { redactStack } from './redact.js';
import { safeGet, safeString, typeName } from './safe.js';
import { grpcCodeFor } from './taxonomy.js';

/** The metric every recorded error increments (Prometheus: faultline_errors_total). */
export const ERRORS_METRIC = 'faultline.errors';
const METER_NAME = '@faultline/errors';

export interface SpanFailureInput {
  httpStatusCode?: number | undefined;
  grpcStatusCode?: number | undefined;
}

/**
 * Whether a span of this kind failed, per the semantic conventions: a SERVER span does not fail
 * for a 4xx answer or for a gRPC code outside the server-failure set; CLIENT, PRODUCER, CONSUMER
 * and INTERNAL spans fail for any error.
 */
export function spanFailed(kind: SpanKind | undefined, status: SpanFailureInput): boolean {
  if (kind !== SpanKind.SERVER) return true;
  if (status.grpcStatusCode !== undefined) return GRPC_SERVER_FAILURE_CODES.has(status.grpcStatusCode);
  if (status.httpStatusCode !== undefined) return status.httpStatusCode >= 500;
  return true;
}

/** The attributes that describe an error on a span (and, trimmed, on metrics and logs). */
export function errorAttributes(err: FaultlineError): Attributes {
  return attributesOf(err, causeChain(err));
}

function attributesOf(err: FaultlineError, chain: readonly ChainLink[]): Attributes {
  // Literal keys (equal to ATTR.*): the object gets its shape at once, not key by key.
  return {
    'error.type': err.code,
    'faultline.error.code': err.code,
    'faultline.error.category': err.category,
    'faultline.error.severity': err.severity,
    'faultline.error.retryable': err.retryable,
    'faultline.error.fingerprint': fingerprint(err),
    'faultline.error.cause_chain_length': chain.length - 1,
  };
}

let counter: Counter | undefined;
let counterProvider: unknown;

function errorsCounter(): Counter {
  // Re-resolve when the global MeterProvider changes (the SDK starts after this module loads).
  const provider = metrics.getMeterProvider();
  if (!counter || provider !== counterProvider) {
    counterProvider = provider;
    counter = provider.getMeter(METER_NAME).createCounter(ERRORS_METRIC, {
      description: 'Errors recorded by Faultline, by type, category, severity and operation',
      unit: '{error}',
    });
  }
  return counter;
}

// Errors already counted, process-wide (two copies of the package share it).
const counted = processWide(COUNTED_KEY, () => new WeakSet<object>());
const MAX_COUNTED_CAUSES = 8;

/** Whether this failure was counted already: the error itself, or an error it wraps. */
function alreadyCounted(err: FaultlineError): boolean {
  let current: unknown = err;
  for (
    let depth = 0;
    depth <= MAX_COUNTED_CAUSES && current !== null && typeof current === 'object';
    depth++
  ) {
    if (counted.has(current)) return true;
    current = safeGet(current, 'cause');
  }
  return false;
}

/**
 * Increments faultline.errors once per failure (recordError calls it; call it for errors with no
 * span). The same error recorded on several spans of a request (client span, policy span, server
 * span), or an error wrapping one already counted (a retry's final error), counts once.
 */
export function countError(err: FaultlineError, operation?: string, thrown?: unknown): void {
  try {
    const raw = thrown !== null && typeof thrown === 'object' && thrown !== err ? thrown : undefined;
    if (alreadyCounted(err) || (raw !== undefined && counted.has(raw))) return;
    counted.add(err);
    // The value it was classified from: a wrapper whose cause is that value is recognised too.
    if (raw !== undefined) counted.add(raw);
    errorsCounter().add(1, {
      [ATTR.ERROR_TYPE]: err.code,
      'error.category': err.category,
      'error.severity': err.severity,
      operation: (operation ?? 'unknown').slice(0, 128),
    });
  } catch {
    // Telemetry never throws into the app.
  }
}

/**
 * When `err` was counted, makes `thrown` (the value it was built from) stand for that count too:
 * a later count of `thrown`, or of an error wrapping it, adds nothing.
 */
export function linkCounted(err: FaultlineError, thrown: unknown): void {
  try {
    if (thrown !== null && typeof thrown === 'object' && alreadyCounted(err)) counted.add(thrown);
  } catch {
    // Telemetry never throws into the app.
  }
}

/**
 * Decides whether a failure recorded on `span` is counted later, by whoever owns the span's
 * request (@faultline/node's span processor counts a request's failures once, when its root span
 * ends, under the route as operation). Returns true when it took the error.
 */
export type CountDeferral = (span: Span, err: FaultlineError) => boolean;

// Process-wide, so that a second copy of this package defers to the same owner.
const deferralSlot = globalThis as Record<symbol, CountDeferral | undefined>;

/** Installs (or, with undefined, removes) the count deferral; see CountDeferral. */
export function setCountDeferral(deferral: CountDeferral | undefined): void {
  deferralSlot[COUNT_DEFERRAL_KEY] = deferral;
}

function deferred(span: Span, err: FaultlineError): boolean {
  const deferral = deferralSlot[COUNT_DEFERRAL_KEY];
  if (deferral === undefined) return false;
  try {
    return deferral(span, err);
  } catch {
    return false;
  }
}

function recordedSet(span: Span): Set<unknown> | undefined {
  return safeGet(span, RECORDED_KEY) as Set<unknown> | undefined;
}

/** True when recordError has already recorded an error on this span (works across package copies). */
export function wasRecorded(span: Span): boolean {
  const set = recordedSet(span);
  return set !== undefined && set.size > 0;
}

/** A span's ERROR status message for `err`: `[origin: ]code: message`, bounded to 512 characters. */
export function statusMessage(err: FaultlineError, origin?: string): string {
  return `${origin === undefined ? '' : `${origin}: `}${err.code}: ${err.message}`.slice(0, 512);
}

export interface RecordErrorOptions {
  /** The span's kind when the span object does not expose it. */
  spanKind?: SpanKind;
  /** The `operation` label of faultline.errors; defaults to the span name. */
  operation?: string;
  /** The HTTP status the operation answered/received, for the SERVER-span status rule. */
  httpStatusCode?: number;
  /** The gRPC status the operation answered/received, for the SERVER-span status rule. */
  grpcStatusCode?: number;
}

/**
 * Classifies `value` and records it on `span` (default: the active span) per the semantic
 * conventions: status, error.type, faultline.error.* attributes, an `exception` event whose
 * stacktrace holds the cause chain, and one faultline.errors increment. The same error recorded
 * twice on a span is recorded once. Returns the structured error. Never throws.
 */
export function recordError(
  span: Span | undefined,
  value: unknown,
  options: RecordErrorOptions = {},
): FaultlineError {
  const classified = toFaultlineError(value);
  try {
    const target = span ?? trace.getActiveSpan();
    // The ignore lists and beforeRecord (record-policy.ts): a dropped error is neither recorded nor counted.
    const err = admit(classified, target);
    if (err === undefined) return classified;
    if (!target?.isRecording()) {
      countError(err, options.operation);
      return err;
    }
    let set = recordedSet(target);
    if (set?.has(err) || (value !== err && set?.has(value))) return err;
    if (!set) {
      set = new Set();
      Object.defineProperty(target, RECORDED_KEY, { value: set, enumerable: false });
    }
    set.add(err);
    if (value !== err && value !== null && typeof value === 'object') set.add(value);

    if (err.correlationId === undefined) err.correlationId = target.spanContext().traceId;
    const kind = options.spanKind ?? (safeGet(target, 'kind') as SpanKind | undefined);
    // One walk of the cause chain serves the attribute and the stacktrace.
    const chain = causeChain(err);
    const attributes = attributesOf(err, chain);
    const status = statusInput(target, err, kind, options);
    if (status.grpcStatusCode !== undefined)
      attributes[ATTR.RPC_RESPONSE_STATUS_CODE] = grpcCodeName(status.grpcStatusCode);
    target.setAttributes(attributes);

    const config = faultlineConfig();
    // The storm guard: past the rate for this fingerprint, the record keeps no stacktrace.
    const exception: Record<string, string | boolean> = recordInFull(err)
      ? exceptionAttributesOf(err, config.maxAttributeLength, chain)
      : suppressedAttributes(err, config.maxAttributeLength);
    if (exception[ATTR.SUPPRESSED] === true) target.setAttribute(ATTR.SUPPRESSED, true);
    if (config.exceptionSignal !== 'logs') target.addEvent('exception', exception);
    if (config.exceptionSignal !== 'events' && config.onExceptionLog) {
      try {
        config.onExceptionLog({
          error: err,
          attributes: { ...exception, ...(attributes as Record<string, string | number | boolean>) },
          span: target,
        });
      } catch {
        // A failing log sink must not turn into an application error.
      }
    }
    if (spanFailed(kind, status)) {
      target.setStatus({ code: SpanStatusCode.ERROR, message: statusMessage(err) });
    }
    // An explicit operation is the caller's label: counted now. Otherwise the span's request may
    // count it when it ends, under its route.
    if (options.operation !== undefined || !deferred(target, err)) {
      countError(err, options.operation ?? safeString(target, 'name'));
    }
    return err;
  } catch {
    // Telemetry never throws into the app.
  }
  return classified;
}

function suppressedAttributes(err: FaultlineError, maxLength: number): Record<string, string | boolean> {
  return {
    'exception.type': err.exceptionType,
    'exception.message': err.message.slice(0, maxLength),
    [ATTR.SUPPRESSED]: true,
  };
}

function statusInput(
  span: Span,
  err: FaultlineError,
  kind: SpanKind | undefined,
  options: RecordErrorOptions,
): SpanFailureInput {
  if (options.grpcStatusCode !== undefined || options.httpStatusCode !== undefined) {
    return { grpcStatusCode: options.grpcStatusCode, httpStatusCode: options.httpStatusCode };
  }
  if (kind !== SpanKind.SERVER) return {};
  // A server span with no explicit status answers with the error's own wire mapping.
  const attributes = safeGet(span, 'attributes') as Record<string, unknown> | undefined;
  if (attributes?.['rpc.system'] !== undefined) return { grpcStatusCode: grpcCodeFor(err) };
  return { httpStatusCode: httpStatusFor(err) };
}

/** exception.* attributes, the stacktrace carrying every cause as a "Caused by:" section. */
export function exceptionAttributes(err: FaultlineError, maxLength: number): Record<string, string> {
  return exceptionAttributesOf(err, maxLength, undefined);
}

function exceptionAttributesOf(
  err: FaultlineError,
  maxLength: number,
  chain: readonly ChainLink[] | undefined,
): Record<string, string> {
  return {
    'exception.type': err.exceptionType,
    'exception.message': err.message.slice(0, maxLength),
    'exception.stacktrace': composeStack(err, maxLength, chain),
  };
}

export function composedStack(err: FaultlineError, maxLength = faultlineConfig().maxAttributeLength): string {
  return composeStack(err, maxLength, undefined);
}

function composeStack(
  err: FaultlineError,
  maxLength: number,
  known: readonly ChainLink[] | undefined,
): string {
  const memo = memoOf(err);
  const hit = memo.composedStack;
  // Reusable for the same bound, or for any bound it fits in when nothing was cut from it.
  if (
    hit !== undefined &&
    (memo.composedBound === maxLength || (memo.composedWhole && hit.length <= maxLength))
  )
    return hit;
  // A wrapped error keeps the original's stack, whose header holds the raw message: redact every header.
  let text = redactStack(stackOf(err));
  const chain = known ?? causeChain(err);
  for (let i = 1; i < chain.length; i++) {
    if (text.length > maxLength) break;
    const link = chain[i] as ChainLink;
    const code = isFaultlineError(link.value) ? link.value.code : undefined;
    text += `\n${causeHeader(link.via === 'aggregate' ? 'aggregate' : 'cause', code)}${redactStack(stackOf(link.value))}`;
  }
  const whole = text.length <= maxLength;
  if (text.length > maxLength) text = `${text.slice(0, maxLength)}…[truncated]`;
  memo.composedStack = text;
  memo.composedBound = maxLength;
  memo.composedWhole = whole;
  return text;
}

function stackOf(value: unknown): string {
  const stack = safeString(value, 'stack');
  if (stack) return stack;
  const message = safeString(value, 'message');
  return `${typeName(value)}: ${message ?? '[no message]'}`;
}
