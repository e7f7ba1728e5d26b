import { faultlineConfig } from './config.js';
import { ERROR_BRAND } from './global-keys.js';
import { redactBounded, redactValue } from './redact.js';
import {
  type ErrorCategory,
  isErrorCategory,
  isSeverity,
  isValidCode,
  lookupErrorCode,
  type RegisteredErrorCode,
  type Severity,
  specFor,
} from './taxonomy.js';

// A brand in the global symbol registry: two copies of this package (or two realms of it)
// recognise each other's errors, which `instanceof` cannot do.
const BRAND = ERROR_BRAND;

export interface FaultlineErrorOptions {
  code: string;
  message?: string;
  cause?: unknown;
  details?: Record<string, unknown>;
  retryAfterMs?: number;
  correlationId?: string;
  severity?: Severity;
  retryable?: boolean;
  service?: string;
  /** Only for codes this process has not registered (errors decoded from another service). */
  category?: ErrorCategory;
  /** Capture a stack even when the code's spec says not to (or skip one when it says to). */
  captureStack?: boolean;
  /** Decoded from the wire: raised by another service. */
  remote?: boolean;
  /** The class of the thrown value this error was built from (exception.type); defaults to the error's name. */
  exceptionType?: string;
  /** Reuse this stack (the original thrown Error's) instead of capturing a new one. */
  stack?: string;
}

export interface FaultlineErrorJSON {
  name: 'FaultlineError';
  code: string;
  category: ErrorCategory;
  severity: Severity;
  retryable: boolean;
  message: string;
  details: Record<string, unknown>;
  retryAfterMs?: number;
  correlationId?: string;
  service?: string;
  remote?: boolean;
  exceptionType?: string;
  cause?: FaultlineErrorJSON | { name: string; message: string };
  stack?: string;
}

/**
 * An internal option (not exported by the package): the message is already redacted and bounded
 * for the redaction rules and `maxMessageLength` in force (classify.ts, for a built-in rule's fixed
 * text, whose redaction it memoises). Every other message is redacted here.
 */
export const PRE_REDACTED: unique symbol = Symbol('faultline.preRedactedMessage');

const warnedCodes = new Set<string>();

function warnUnregistered(code: string): void {
  if (warnedCodes.has(code) || warnedCodes.size > 100) return;
  warnedCodes.add(code);
  process.emitWarning(
    `error code '${code}' is not registered; call defineErrorCode('${code}', { category }) so its category and wire mapping are known`,
    { code: 'FAULTLINE_ERR_UNREGISTERED_CODE', type: 'FaultlineWarning' },
  );
}

/** Telemetry values derived from an error; see memoOf. */
export interface ErrorMemo {
  fingerprint?: string;
  composedStack?: string;
  /** The bound composedStack was made for, and whether it holds everything (nothing cut). */
  composedBound?: number;
  composedWhole?: boolean;
}

let memoSlot: (err: object) => ErrorMemo | undefined;

export class FaultlineError extends Error {
  override readonly name = 'FaultlineError';
  readonly code: string;
  readonly category: ErrorCategory;
  readonly severity: Severity;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;
  readonly retryAfterMs: number | undefined;
  correlationId: string | undefined;
  readonly service: string | undefined;
  readonly remote: boolean;
  readonly exceptionType: string;
  declare readonly [BRAND]: true;

  /** Values derived from this error for telemetry (fingerprint, composed stack), computed once. */
  #memo: ErrorMemo | undefined = undefined;

  constructor(options: FaultlineErrorOptions) {
    // Each option is read once: callers pass options of many shapes, so every read is a
    // megamorphic property load.
    const {
      code: raw,
      message: rawMessage,
      cause,
      details,
      retryAfterMs,
      correlationId,
      severity,
      retryable,
      service,
      category,
      captureStack,
      remote,
      exceptionType,
      stack,
      [PRE_REDACTED]: preRedacted,
    } = (options ?? {}) as Partial<FaultlineErrorOptions> & { [PRE_REDACTED]?: unknown };
    // A registered code is valid by construction: one Map lookup instead of the pattern test.
    const registered = typeof raw === 'string' ? lookupErrorCode(raw) : undefined;
    const requested = registered !== undefined || isValidCode(raw) ? (raw as string) : 'unknown_error';
    const explicitCategory = isErrorCategory(category);
    const spec: RegisteredErrorCode =
      registered ?? specFor(requested, explicitCategory ? category : 'system');
    if (registered === undefined && remote !== true && !explicitCategory) {
      if (lookupErrorCode(requested) === undefined) warnUnregistered(requested);
    }
    const config = faultlineConfig();
    const message =
      preRedacted === true && typeof rawMessage === 'string'
        ? rawMessage
        : redactBounded(
            typeof rawMessage === 'string' ? rawMessage : requested.replace(/_/g, ' '),
            config.maxMessageLength,
          );
    const reuse = typeof stack === 'string' ? stack : undefined;
    const capture = captureStack ?? (stack === undefined && spec.captureStack);
    if (capture) {
      super(message, cause !== undefined ? { cause } : undefined);
    } else {
      // Stackless: an operational error costs a fraction of `new Error()` (no frames captured).
      // When the stack is about to be replaced by a reused one, a non-numeric limit makes V8 skip
      // the capture altogether (0 still walks into the capture machinery).
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = (reuse === undefined ? 0 : undefined) as unknown as number;
      try {
        super(message, cause !== undefined ? { cause } : undefined);
      } finally {
        Error.stackTraceLimit = limit;
      }
    }
    if (reuse !== undefined) {
      // `stack` is an own, writable, non-enumerable property of every Error: a plain assignment keeps
      // those attributes and is several times cheaper than Object.defineProperty.
      this.stack = reuse;
    }
    this.code = requested;
    this.category = spec.category;
    this.severity = isSeverity(severity) ? severity : spec.severity;
    this.retryable = typeof retryable === 'boolean' ? retryable : spec.retryable;
    this.details = details === undefined ? {} : ((redactValue(details) as Record<string, unknown>) ?? {});
    this.retryAfterMs = validRetryAfter(retryAfterMs);
    this.correlationId = typeof correlationId === 'string' ? correlationId : undefined;
    this.service = typeof service === 'string' ? service : remote === true ? undefined : config.service;
    this.remote = remote === true;
    this.exceptionType = typeof exceptionType === 'string' ? exceptionType : 'FaultlineError';
  }

  static {
    memoSlot = (err) => {
      if (!(#memo in err)) return undefined;
      if (err.#memo === undefined) err.#memo = {};
      return err.#memo;
    };
  }

  /**
   * This error with some fields replaced: the one way to derive an error from another. Every field
   * is carried over (cause and stack included), the overrides are read like constructor options
   * (an invalid value falls back as it would there), and the copy has its own memo (fingerprint,
   * composed stack).
   */
  with(overrides: Partial<FaultlineErrorOptions> = {}): FaultlineError {
    let cause: unknown;
    try {
      cause = this.cause;
    } catch {
      cause = undefined;
    }
    const stack = typeof this.stack === 'string' ? this.stack : undefined;
    return new FaultlineError({
      code: this.code,
      category: this.category,
      severity: this.severity,
      retryable: this.retryable,
      message: this.message,
      details: this.details,
      remote: this.remote,
      exceptionType: this.exceptionType,
      retryAfterMs: this.retryAfterMs,
      correlationId: this.correlationId,
      service: this.service,
      cause,
      ...(stack !== undefined ? { stack } : { captureStack: false }),
      ...overrides,
    });
  }

  /** Plain JSON for logs and debugging (the one serializer); redacted; the wire codecs decide what leaves the process. */
  toJSON(): FaultlineErrorJSON {
    return serialize(this, 0);
  }
}

const foreignMemos = new WeakMap<object, ErrorMemo>();

/**
 * The memo of derived values for `err`: a private field for errors of this copy of the package
 * (no WeakMap insertion per error), a WeakMap for structured errors made by another copy.
 */
export function memoOf(err: FaultlineError): ErrorMemo {
  const own = memoSlot(err);
  if (own !== undefined) return own;
  let memo = foreignMemos.get(err);
  if (memo === undefined) {
    memo = {};
    foreignMemos.set(err, memo);
  }
  return memo;
}

// The brand lives on the prototype: free per instance, and still found through the global symbol.
Object.defineProperty(FaultlineError.prototype, BRAND, { value: true, enumerable: false });

function validRetryAfter(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return undefined;
  return Math.min(Math.round(value), 86_400_000);
}

const MAX_JSON_CAUSES = 8;

function serialize(err: FaultlineError, depth: number): FaultlineErrorJSON {
  const json: FaultlineErrorJSON = {
    name: 'FaultlineError',
    code: err.code,
    category: err.category,
    severity: err.severity,
    retryable: err.retryable,
    message: err.message,
    details: err.details,
  };
  if (err.retryAfterMs !== undefined) json.retryAfterMs = err.retryAfterMs;
  if (err.correlationId !== undefined) json.correlationId = err.correlationId;
  if (err.service !== undefined) json.service = err.service;
  if (err.remote) json.remote = true;
  if (err.exceptionType !== 'FaultlineError') json.exceptionType = err.exceptionType;
  let cause: unknown;
  try {
    cause = err.cause;
  } catch {
    cause = undefined;
  }
  if (cause !== undefined && depth < MAX_JSON_CAUSES) {
    if (isFaultlineError(cause)) json.cause = serialize(cause, depth + 1);
    else json.cause = describeCause(cause);
  }
  return json;
}

function describeCause(cause: unknown): { name: string; message: string } {
  try {
    if (cause instanceof Error)
      return { name: cause.name, message: redactBounded(String(cause.message), 1024) };
  } catch {
    // hostile cause
  }
  return { name: typeof cause, message: '[non-error cause]' };
}

export function isFaultlineError(value: unknown): value is FaultlineError {
  if (value === null || typeof value !== 'object') return false;
  try {
    return (value as Record<symbol, unknown>)[BRAND] === true;
  } catch {
    return false;
  }
}
