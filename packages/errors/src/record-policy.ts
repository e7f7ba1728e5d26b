import type { Span } from '@opentelemetry/api';
import { type FaultlineError, isFaultlineError } from './error.js';
import { fingerprint } from './fingerprint.js';
import { processWide, RECORD_POLICY_KEY } from './global-keys.js';
import { ERROR_CATEGORIES, type ErrorCategory, isValidCode } from './taxonomy.js';
import { FaultlineUsageError } from './usage-error.js';

/**
 * Called before an error is recorded on a span (by recordError, or by @faultline/node's span
 * processor for errors the instrumentations recorded). Return the error to record — the same one,
 * or one derived from it (`err.with({ severity: 'low' })`) — or `null` to drop the record: nothing
 * is written on the span for it and it is not counted. Returning undefined keeps the error as is.
 * A hook that throws is ignored for that error (the error is recorded as it is).
 */
export type BeforeRecord = (
  error: FaultlineError,
  span: Span | undefined,
) => FaultlineError | null | undefined;

export interface RecordPolicyOptions {
  beforeRecord?: BeforeRecord | undefined;
  /** Codes never recorded nor counted (FAULTLINE_IGNORE_CODES). */
  ignoreCodes?: readonly string[];
  /** Categories never recorded nor counted (FAULTLINE_IGNORE_CATEGORIES). */
  ignoreCategories?: readonly ErrorCategory[];
  /**
   * The storm guard (FAULTLINE_EXCEPTION_RATE_LIMIT): at most this many exception events / log
   * records in full per error fingerprint per second; past it an error still sets the span's
   * status and attributes and is counted (faultline.errors stays exact), but its exception event
   * carries no stacktrace and `faultline.error.suppressed` = true. 0 turns the guard off.
   */
  exceptionsPerSecond?: number;
}

/** The defaults: no hook, nothing ignored, 100 full exception records per fingerprint per second. */
export const DEFAULT_EXCEPTIONS_PER_SECOND = 100;
/** At most this many fingerprints are tracked by the storm guard; past it the oldest window is forgotten. */
export const MAX_GUARDED_FINGERPRINTS = 1024;

interface Window {
  start: number;
  full: number;
}

interface Policy {
  beforeRecord: BeforeRecord | undefined;
  ignoreCodes: ReadonlySet<string>;
  ignoreCategories: ReadonlySet<string>;
  exceptionsPerSecond: number;
  windows: Map<string, Window>;
}

function defaults(): Policy {
  return {
    beforeRecord: undefined,
    ignoreCodes: new Set(),
    ignoreCategories: new Set(),
    exceptionsPerSecond: DEFAULT_EXCEPTIONS_PER_SECOND,
    windows: new Map(),
  };
}

// Process-wide: two copies of this package apply the same hook, lists and windows.
const policy: Policy = processWide(RECORD_POLICY_KEY, defaults);

function invalid(option: string, accepted: string, got: unknown): never {
  throw new FaultlineUsageError(
    'FAULTLINE_ERR_INVALID_CONFIG',
    `configureFaultline: ${option} must be ${accepted}; got ${JSON.stringify(got)?.slice(0, 60) ?? String(got)}`,
  );
}

/** Validates the options as a whole; returns the change to apply (configureFaultline applies it). */
export function preparePolicy(options: RecordPolicyOptions): () => void {
  const changes: Array<() => void> = [];
  if ('beforeRecord' in options) {
    const hook = options.beforeRecord;
    if (hook !== undefined && typeof hook !== 'function') invalid('beforeRecord', 'a function', typeof hook);
    changes.push(() => {
      policy.beforeRecord = hook;
    });
  }
  if (options.ignoreCodes !== undefined) {
    const codes = options.ignoreCodes;
    if (!Array.isArray(codes) || !codes.every(isValidCode))
      invalid('ignoreCodes', 'an array of snake_case error codes', codes);
    changes.push(() => {
      policy.ignoreCodes = new Set(codes);
    });
  }
  if (options.ignoreCategories !== undefined) {
    const categories = options.ignoreCategories;
    if (
      !Array.isArray(categories) ||
      !categories.every((c) => (ERROR_CATEGORIES as readonly string[]).includes(c))
    )
      invalid('ignoreCategories', `an array of categories (${ERROR_CATEGORIES.join(', ')})`, categories);
    changes.push(() => {
      policy.ignoreCategories = new Set(categories);
    });
  }
  if (options.exceptionsPerSecond !== undefined) {
    const n = options.exceptionsPerSecond;
    if (!Number.isInteger(n) || n < 0 || n > 1_000_000)
      invalid('exceptionsPerSecond', 'an integer from 0 (no limit) to 1000000', n);
    changes.push(() => {
      policy.exceptionsPerSecond = n;
      policy.windows.clear();
    });
  }
  return () => {
    for (const change of changes) change();
  };
}

export function resetPolicy(): void {
  Object.assign(policy, defaults());
}

/** Whether the error is on an ignore list. */
export function isIgnored(err: FaultlineError): boolean {
  return policy.ignoreCodes.has(err.code) || policy.ignoreCategories.has(err.category);
}

/**
 * The error to record on `span` after the ignore lists and the beforeRecord hook, or undefined
 * when it must not be recorded (nor counted).
 */
export function admit(err: FaultlineError, span: Span | undefined): FaultlineError | undefined {
  if (isIgnored(err)) return undefined;
  const hook = policy.beforeRecord;
  if (hook === undefined) return err;
  let result: FaultlineError | null | undefined;
  try {
    result = hook(err, span);
  } catch {
    return err;
  }
  if (result === null) return undefined;
  if (result === undefined || !isFaultlineError(result)) return err;
  return isIgnored(result) ? undefined : result;
}

/**
 * The storm guard's verdict for one record of `err`: true when its exception event / log record
 * is written in full, false when it is suppressed (its window's quota is used up).
 */
export function recordInFull(err: FaultlineError, now = Date.now()): boolean {
  const limit = policy.exceptionsPerSecond;
  if (limit === 0) return true;
  const key = fingerprint(err);
  let window = policy.windows.get(key);
  if (window === undefined) {
    if (policy.windows.size >= MAX_GUARDED_FINGERPRINTS) {
      // Forget the oldest window (Map keeps insertion order): a new fingerprint is never suppressed.
      const oldest = policy.windows.keys().next().value;
      if (oldest !== undefined) policy.windows.delete(oldest);
    }
    window = { start: now, full: 0 };
    policy.windows.set(key, window);
  } else if (now - window.start >= 1000 || now < window.start) {
    window.start = now;
    window.full = 0;
  }
  if (window.full >= limit) return false;
  window.full++;
  return true;
}
