import { CONFIG_KEY, processWide } from './global-keys.js';
import { preparePolicy, type RecordPolicyOptions, resetPolicy } from './record-policy.js';
import { compilePatterns, setExtraPatterns } from './redact.js';
import {
  ENVIRONMENTS,
  type Environment,
  EXCEPTION_SIGNALS,
  type ExceptionSignal,
  integerIn,
  oneOf,
} from './settings.js';
import { FaultlineUsageError } from './usage-error.js';

export type { Environment, ExceptionSignal } from './settings.js';

export interface ExceptionLogRecord {
  error: import('./error.js').FaultlineError;
  attributes: Record<string, string | number | boolean>;
  span: import('@opentelemetry/api').Span | undefined;
}

export interface FaultlineConfig {
  /** Name of this service, stamped on errors it creates (`service`). */
  service: string | undefined;
  /** production: no stacks or internal details leave the process on the wire. */
  environment: Environment;
  exceptionSignal: ExceptionSignal;
  /** Receives exceptions when exceptionSignal includes logs (@faultline/node installs it). */
  onExceptionLog: ((record: ExceptionLogRecord) => void) | undefined;
  /** Upper bound of any string attribute we write (exception.stacktrace and friends). */
  maxAttributeLength: number;
  maxMessageLength: number;
}

export interface ConfigureOptions extends RecordPolicyOptions {
  service?: string;
  environment?: Environment;
  exceptionSignal?: ExceptionSignal;
  onExceptionLog?: ((record: ExceptionLogRecord) => void) | undefined;
  /** Extra patterns whose matches are replaced by [REDACTED], on top of the built-in classes. */
  redactPatterns?: Array<RegExp | string>;
  maxAttributeLength?: number;
  maxMessageLength?: number;
}

function defaults(): FaultlineConfig {
  return {
    service: undefined,
    environment: 'production',
    exceptionSignal: 'events',
    onExceptionLog: undefined,
    maxAttributeLength: 16_384,
    maxMessageLength: 4_096,
  };
}

const config: FaultlineConfig = processWide(CONFIG_KEY, defaults);

export function faultlineConfig(): Readonly<FaultlineConfig> {
  return config;
}

function invalid(option: string, accepted: string, got: unknown): never {
  throw new FaultlineUsageError(
    'FAULTLINE_ERR_INVALID_CONFIG',
    `configureFaultline: ${option} must be ${accepted}; got ${JSON.stringify(got)?.slice(0, 60) ?? String(got)}`,
  );
}

const LENGTH = integerIn(64, 1_048_576);

/** Process-wide settings; validated as a whole before anything changes. */
export function configureFaultline(options: ConfigureOptions): void {
  const next: Partial<FaultlineConfig> = {};
  if (options.service !== undefined) {
    if (typeof options.service !== 'string' || options.service.length > 256)
      invalid('service', 'a string of at most 256 characters', options.service);
    next.service = options.service;
  }
  if (options.environment !== undefined) {
    if (!oneOf(ENVIRONMENTS).test(options.environment)) {
      invalid('environment', "'production' or 'development'", options.environment);
    }
    next.environment = options.environment;
  }
  if (options.exceptionSignal !== undefined) {
    if (!oneOf(EXCEPTION_SIGNALS).test(options.exceptionSignal)) {
      invalid('exceptionSignal', "'events', 'logs' or 'logs/dup'", options.exceptionSignal);
    }
    next.exceptionSignal = options.exceptionSignal;
  }
  if ('onExceptionLog' in options) {
    if (options.onExceptionLog !== undefined && typeof options.onExceptionLog !== 'function') {
      invalid('onExceptionLog', 'a function', typeof options.onExceptionLog);
    }
    next.onExceptionLog = options.onExceptionLog;
  }
  for (const key of ['maxAttributeLength', 'maxMessageLength'] as const) {
    const v = options[key];
    if (v === undefined) continue;
    if (!LENGTH.test(v)) invalid(key, LENGTH.accepted, v);
    next[key] = v;
  }
  const patterns = options.redactPatterns === undefined ? undefined : compilePatterns(options.redactPatterns);
  const applyPolicy = preparePolicy(options);
  Object.assign(config, next);
  applyPolicy();
  if (patterns) setExtraPatterns(patterns);
}

/** Back to defaults (tests). */
export function resetFaultlineConfig(): void {
  Object.assign(config, defaults());
  setExtraPatterns([]);
  resetPolicy();
}
