// Reading and checking settings, for every Faultline package: start() options and OTEL_* /
// FAULTLINE_* variables (@faultline/node), configureFaultline (config.ts), policy options
// (@faultline/resilience) and the demo's knobs. A check says what it accepts, in words the
// caller's message reuses; how a rejected value is reported (a usage error, a start problem, a
// warning) stays with the caller. SDK-free and dependency-free.

/** Environment variables, as process.env holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A variable's value, trimmed; undefined when unset or blank. */
export function envText(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** A comma-separated variable: its items trimmed, lower-cased, blanks dropped, each once; undefined when unset. */
export function envList(env: Env, name: string): string[] | undefined {
  const v = envText(env, name);
  if (v === undefined) return undefined;
  return [
    ...new Set(
      v
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
}

/** A check of one setting: which values it accepts, and how a message names them. */
export interface Check<T> {
  /** E.g. `an integer from 1 to 65535`, `true, false`. */
  readonly accepted: string;
  test(value: unknown): value is T;
}

/** An integer from `min` to `max` (`an integer >= min` when there is no upper bound). */
export function integerIn(min: number, max = Number.MAX_SAFE_INTEGER): Check<number> {
  return {
    accepted: max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`,
    test: (value): value is number =>
      typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max,
  };
}

/** A finite number from `min` to `max`. */
export function numberIn(min: number, max: number): Check<number> {
  return {
    accepted: `a number from ${min} to ${max}`,
    test: (value): value is number =>
      typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max,
  };
}

/** One of `values` (accepted: `a, b, c`). */
export function oneOf<const T extends string>(values: readonly T[]): Check<T> {
  return {
    accepted: values.join(', '),
    test: (value): value is T => typeof value === 'string' && (values as readonly string[]).includes(value),
  };
}

/** `true` or `false`, as a variable spells them (any case). */
export const BOOLEAN_TEXT = oneOf(['true', 'false']);

/**
 * A setting from its option (which wins) or its variable's text: the checked value, or `fallback`
 * when both are unset or the value is rejected (then `reject(raw, check.accepted)` is called).
 * Text is read as a number when the check is numeric (`numeric`).
 */
export function readSetting<T>(
  check: Check<T>,
  raw: unknown,
  fallback: T,
  reject: (raw: unknown, accepted: string) => void,
  numeric = false,
): T {
  if (raw === undefined) return fallback;
  const value = numeric && typeof raw === 'string' ? Number(raw) : raw;
  if (check.test(value)) return value;
  reject(raw, check.accepted);
  return fallback;
}

/** Where the process runs: `production` keeps stacks and internal details off the wire. */
export const ENVIRONMENTS = ['production', 'development'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Where exception details go, per OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN: span events, log records, or both. */
export const EXCEPTION_SIGNALS = ['events', 'logs', 'logs/dup'] as const;
export type ExceptionSignal = (typeof EXCEPTION_SIGNALS)[number];

/**
 * The text form of redaction patterns (FAULTLINE_REDACT_PATTERNS): comma-separated sources, or a
 * JSON array of them. Undefined when the text is neither; else the sources, each marked valid or not.
 */
export function patternSources(text: string): Array<{ source: string; valid: boolean }> | undefined {
  let sources: unknown;
  if (text.startsWith('[')) {
    try {
      sources = JSON.parse(text);
    } catch {
      return undefined;
    }
  } else {
    sources = text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (!Array.isArray(sources) || !sources.every((s) => typeof s === 'string')) return undefined;
  return (sources as string[]).map((source) => ({ source, valid: isPatternSource(source) }));
}

/** True when `source` compiles as a regular expression. */
export function isPatternSource(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
