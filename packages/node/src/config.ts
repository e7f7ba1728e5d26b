import {
  type BeforeRecord,
  DEFAULT_EXCEPTIONS_PER_SECOND,
  ERROR_CATEGORIES,
  type ErrorCategory,
  isErrorCategory,
  isValidCode,
} from '@faultline/errors';
import { DEFAULT_INSTRUMENTATIONS, INSTRUMENTATION_NAMES } from './instrumentations.js';
import type { Problem } from './report.js';

export type Signal = 'traces' | 'metrics' | 'logs';
export type TracesExporterName = 'otlp' | 'console' | 'none';
export type MetricsExporterName = 'prometheus' | 'otlp' | 'console' | 'none';
export type LogsExporterName = 'otlp' | 'console' | 'none';
export type OtlpProtocol = 'http/protobuf' | 'http/json';
export type ExceptionSignal = 'events' | 'logs' | 'logs/dup';
/** A short instrumentation name as OTEL_NODE_ENABLED_INSTRUMENTATIONS takes it: `http`, `pg`, `fastify`… */
export type InstrumentationName = string;
export type Environment = 'production' | 'development';
export type LogLevel = 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';

/** Options of start(); each one wins over its environment variable. */
export interface StartOptions {
  /** OTEL_SERVICE_NAME */
  serviceName?: string;
  /** Extra resource attributes, on top of OTEL_RESOURCE_ATTRIBUTES. */
  resourceAttributes?: Record<string, string | number | boolean>;
  /** OTEL_TRACES_EXPORTER */
  tracesExporter?: TracesExporterName[];
  /** OTEL_METRICS_EXPORTER */
  metricsExporter?: MetricsExporterName[];
  /** OTEL_LOGS_EXPORTER */
  logsExporter?: LogsExporterName[];
  /** OTEL_EXPORTER_OTLP_ENDPOINT (base URL; /v1/traces etc. are appended) */
  otlpEndpoint?: string;
  /** OTEL_EXPORTER_PROMETHEUS_HOST */
  prometheusHost?: string;
  /** OTEL_EXPORTER_PROMETHEUS_PORT */
  prometheusPort?: number;
  /** OTEL_NODE_ENABLED_INSTRUMENTATIONS */
  instrumentations?: InstrumentationName[];
  /** OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN (events = unset) */
  exceptionSignal?: ExceptionSignal;
  /** FAULTLINE_ENVIRONMENT */
  environment?: Environment;
  /** FAULTLINE_REDACT_PATTERNS */
  redactPatterns?: Array<RegExp | string>;
  /** FAULTLINE_STRICT */
  strict?: boolean;
  /** FAULTLINE_FLUSH_TIMEOUT_MS */
  flushTimeoutMs?: number;
  /** OTEL_LOG_LEVEL */
  logLevel?: LogLevel;
  /** Install the uncaught-exception / unhandled-rejection / signal handlers (default true). */
  processHandlers?: boolean;
  /** FAULTLINE_TRACE_RESPONSE: `traceresponse` and `x-correlation-id` on every HTTP answer (default true). */
  traceResponse?: boolean;
  /** Called before an error is recorded on a span: return it, a derived error, or null to drop the record. */
  beforeRecord?: BeforeRecord;
  /** FAULTLINE_IGNORE_CODES: codes never recorded nor counted. */
  ignoreCodes?: string[];
  /** FAULTLINE_IGNORE_CATEGORIES: categories never recorded nor counted. */
  ignoreCategories?: ErrorCategory[];
  /** FAULTLINE_EXCEPTION_RATE_LIMIT: full exception records per fingerprint per second (0: no limit). */
  exceptionsPerSecond?: number;
}

export interface BatchSettings {
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
  maxQueueSize?: number;
  maxExportBatchSize?: number;
}

export interface OtlpTarget {
  url: string;
  protocol: OtlpProtocol;
}

export interface ResolvedConfig {
  disabled: boolean;
  serviceName: string | undefined;
  resourceAttributes: Record<string, string | number | boolean>;
  traces: { exporters: TracesExporterName[]; otlp: OtlpTarget | undefined };
  metrics: {
    exporters: MetricsExporterName[];
    otlp: OtlpTarget | undefined;
    prometheus: { host: string; port: number };
    exportIntervalMs: number;
  };
  logs: { exporters: LogsExporterName[]; otlp: OtlpTarget | undefined };
  /** OTEL_BSP_* (spans) and OTEL_BLRP_* (log records); undefined = the SDK default. */
  batchSpans: BatchSettings;
  batchLogs: BatchSettings;
  instrumentations: InstrumentationName[];
  exceptionSignal: ExceptionSignal;
  environment: Environment;
  redactPatterns: Array<RegExp | string>;
  strict: boolean;
  flushTimeoutMs: number;
  logLevel: LogLevel | undefined;
  processHandlers: boolean;
  traceResponse: boolean;
  /** What is recorded: the hook, the ignore lists and the storm guard. */
  recording: {
    beforeRecord: BeforeRecord | undefined;
    ignoreCodes: string[];
    ignoreCategories: ErrorCategory[];
    exceptionsPerSecond: number;
  };
  problems: Problem[];
}

type Env = Record<string, string | undefined>;

const DEFAULT_OTLP = 'http://localhost:4318';
const SIGNAL_PATH: Record<Signal, string> = { traces: 'v1/traces', metrics: 'v1/metrics', logs: 'v1/logs' };

function text(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function list(env: Env, name: string): string[] | undefined {
  const v = text(env, name);
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

/**
 * Reads OTEL_* and FAULTLINE_* (options win), validating every value. A bad value never throws:
 * it becomes a Problem and the setting falls back (or its signal turns off).
 */
export function resolveConfig(options: StartOptions = {}, env: Env = process.env): ResolvedConfig {
  const problems: Problem[] = [];
  const bad = (code: Problem['code'], variable: string, message: string) =>
    problems.push({ code, variable, message });

  const strict = bool(env, 'FAULTLINE_STRICT', options.strict, false, bad);

  const exporters = <T extends string>(
    variable: string,
    given: T[] | undefined,
    accepted: readonly T[],
    fallback: T[],
  ): T[] => {
    const names = given ?? (list(env, variable) as T[] | undefined) ?? fallback;
    if (names.includes('none' as T)) return [];
    const known = names.filter((n) => accepted.includes(n));
    for (const n of names) {
      if (!accepted.includes(n)) {
        bad(
          'FAULTLINE_ERR_UNKNOWN_EXPORTER',
          variable,
          `${variable}="${n}" is not an exporter we ship; accepted values: ${accepted.join(', ')}. Skipping it.`,
        );
      }
    }
    return known;
  };

  const tracesExporters = exporters<TracesExporterName>(
    'OTEL_TRACES_EXPORTER',
    options.tracesExporter,
    ['otlp', 'console', 'none'],
    ['otlp'],
  );
  const metricsExporters = exporters<MetricsExporterName>(
    'OTEL_METRICS_EXPORTER',
    options.metricsExporter,
    ['prometheus', 'otlp', 'console', 'none'],
    ['prometheus'],
  );
  const logsExporters = exporters<LogsExporterName>(
    'OTEL_LOGS_EXPORTER',
    options.logsExporter,
    ['otlp', 'console', 'none'],
    ['otlp'],
  );

  const otlpFor = (signal: Signal, wanted: boolean): OtlpTarget | undefined => {
    if (!wanted) return undefined;
    const upper = signal.toUpperCase();
    const protocolVar = text(env, `OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`)
      ? `OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`
      : 'OTEL_EXPORTER_OTLP_PROTOCOL';
    const protocolRaw = text(env, protocolVar) ?? 'http/protobuf';
    let protocol: OtlpProtocol = 'http/protobuf';
    if (protocolRaw === 'http/protobuf' || protocolRaw === 'http/json') protocol = protocolRaw;
    else {
      bad(
        'FAULTLINE_ERR_INVALID_ENV',
        protocolVar,
        `${protocolVar}="${protocolRaw}" is not supported; accepted values: http/protobuf, http/json. Using http/protobuf.`,
      );
    }
    const signalVar = `OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`;
    const signalUrl = text(env, signalVar);
    let variable: string;
    let url: string;
    if (signalUrl !== undefined) {
      variable = signalVar;
      url = signalUrl;
    } else {
      variable = options.otlpEndpoint !== undefined ? 'otlpEndpoint' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
      const base = options.otlpEndpoint ?? text(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') ?? DEFAULT_OTLP;
      url = `${base.replace(/\/+$/, '')}/${SIGNAL_PATH[signal]}`;
    }
    if (!isHttpUrl(url)) {
      bad(
        'FAULTLINE_ERR_INVALID_URL',
        variable,
        `${variable}="${signalUrl ?? options.otlpEndpoint ?? text(env, 'OTEL_EXPORTER_OTLP_ENDPOINT')}" is not an absolute http:// or https:// URL (e.g. http://localhost:4318); ${signal} export over OTLP is off.`,
      );
      return undefined;
    }
    return { url, protocol };
  };

  const tracesOtlp = otlpFor('traces', tracesExporters.includes('otlp'));
  const metricsOtlp = otlpFor('metrics', metricsExporters.includes('otlp'));
  const logsOtlp = otlpFor('logs', logsExporters.includes('otlp'));

  const prometheusHost = options.prometheusHost ?? text(env, 'OTEL_EXPORTER_PROMETHEUS_HOST') ?? 'localhost';
  let prometheusPort = 9464;
  const portRaw = options.prometheusPort ?? text(env, 'OTEL_EXPORTER_PROMETHEUS_PORT');
  if (portRaw !== undefined) {
    const port = Number(portRaw);
    if (Number.isInteger(port) && port >= 1 && port <= 65535) prometheusPort = port;
    else if (metricsExporters.includes('prometheus')) {
      bad(
        'FAULTLINE_ERR_INVALID_ENV',
        'OTEL_EXPORTER_PROMETHEUS_PORT',
        `OTEL_EXPORTER_PROMETHEUS_PORT="${portRaw}" is not a port; accepted values: an integer from 1 to 65535. The Prometheus exporter is off.`,
      );
      prometheusPort = -1;
    }
  }
  const finalMetrics =
    prometheusPort === -1 ? metricsExporters.filter((e) => e !== 'prometheus') : metricsExporters;

  const exportIntervalMs = integer(
    env,
    'OTEL_METRIC_EXPORT_INTERVAL',
    undefined,
    60_000,
    100,
    86_400_000,
    bad,
  );
  const flushTimeoutMs = integer(
    env,
    'FAULTLINE_FLUSH_TIMEOUT_MS',
    options.flushTimeoutMs,
    2000,
    0,
    60_000,
    bad,
  );

  const instrumentations = resolveInstrumentations(env, options.instrumentations, bad);

  let exceptionSignal: ExceptionSignal = options.exceptionSignal ?? 'events';
  if (options.exceptionSignal === undefined) {
    const raw = list(env, 'OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN');
    if (raw?.includes('logs/dup')) exceptionSignal = 'logs/dup';
    else if (raw?.includes('logs')) exceptionSignal = 'logs';
    else if (raw && raw.length > 0) {
      bad(
        'FAULTLINE_ERR_INVALID_ENV',
        'OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN',
        `OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN="${raw.join(',')}" is not accepted; accepted values: unset, logs, logs/dup. Exceptions stay span events.`,
      );
    }
  }

  let environment: Environment = options.environment ?? 'production';
  const envRaw = text(env, 'FAULTLINE_ENVIRONMENT');
  if (options.environment === undefined && envRaw !== undefined) {
    if (envRaw === 'production' || envRaw === 'development') environment = envRaw;
    else {
      bad(
        'FAULTLINE_ERR_INVALID_ENV',
        'FAULTLINE_ENVIRONMENT',
        `FAULTLINE_ENVIRONMENT="${envRaw}" is not accepted; accepted values: production, development. Using production.`,
      );
    }
  }

  const redactPatterns = options.redactPatterns ?? parsePatterns(env, bad);

  let logLevel: LogLevel | undefined = options.logLevel;
  const levelRaw = text(env, 'OTEL_LOG_LEVEL')?.toLowerCase();
  if (logLevel === undefined && levelRaw !== undefined) {
    const levels: LogLevel[] = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'];
    if ((levels as string[]).includes(levelRaw)) logLevel = levelRaw as LogLevel;
    else {
      bad(
        'FAULTLINE_ERR_INVALID_ENV',
        'OTEL_LOG_LEVEL',
        `OTEL_LOG_LEVEL="${levelRaw}" is not accepted; accepted values: ${levels.join(', ')}. Using the SDK default.`,
      );
    }
  }

  return {
    disabled: bool(env, 'OTEL_SDK_DISABLED', undefined, false, bad),
    serviceName: options.serviceName ?? text(env, 'OTEL_SERVICE_NAME'),
    resourceAttributes: options.resourceAttributes ?? {},
    traces: {
      exporters:
        tracesOtlp || !tracesExporters.includes('otlp')
          ? tracesExporters
          : tracesExporters.filter((e) => e !== 'otlp'),
      otlp: tracesOtlp,
    },
    metrics: {
      exporters:
        metricsOtlp || !finalMetrics.includes('otlp')
          ? finalMetrics
          : finalMetrics.filter((e) => e !== 'otlp'),
      otlp: metricsOtlp,
      prometheus: { host: prometheusHost, port: prometheusPort },
      exportIntervalMs,
    },
    logs: {
      exporters:
        logsOtlp || !logsExporters.includes('otlp')
          ? logsExporters
          : logsExporters.filter((e) => e !== 'otlp'),
      otlp: logsOtlp,
    },
    batchSpans: batch(env, 'OTEL_BSP', bad),
    batchLogs: batch(env, 'OTEL_BLRP', bad),
    instrumentations,
    exceptionSignal,
    environment,
    redactPatterns,
    strict,
    flushTimeoutMs,
    logLevel,
    processHandlers: options.processHandlers ?? true,
    traceResponse: bool(env, 'FAULTLINE_TRACE_RESPONSE', options.traceResponse, true, bad),
    recording: resolveRecording(env, options, bad),
    problems,
  };
}

type Bad = (code: Problem['code'], variable: string, message: string) => void;

function bool(env: Env, name: string, given: boolean | undefined, fallback: boolean, bad: Bad): boolean {
  if (given !== undefined) return given;
  const raw = text(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  bad(
    'FAULTLINE_ERR_INVALID_ENV',
    name,
    `${name}="${raw}" is not accepted; accepted values: true, false. Using ${fallback}.`,
  );
  return fallback;
}

function integer(
  env: Env,
  name: string,
  given: number | undefined,
  fallback: number,
  min: number,
  max: number,
  bad: Bad,
): number {
  const raw = given ?? text(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (Number.isInteger(n) && n >= min && n <= max) return n;
  bad(
    'FAULTLINE_ERR_INVALID_ENV',
    name,
    `${name}="${raw}" is not accepted; accepted values: an integer from ${min} to ${max}. Using ${Number.isNaN(fallback) ? 'the SDK default' : fallback}.`,
  );
  return fallback;
}

function batch(env: Env, prefix: 'OTEL_BSP' | 'OTEL_BLRP', bad: Bad): BatchSettings {
  const out: BatchSettings = {};
  const read = (suffix: string, key: keyof BatchSettings) => {
    const name = `${prefix}_${suffix}`;
    if (text(env, name) === undefined) return;
    out[key] = integer(env, name, undefined, Number.NaN, 1, 2_147_483_647, bad);
    if (Number.isNaN(out[key])) delete out[key];
  };
  read('SCHEDULE_DELAY', 'scheduledDelayMillis');
  read('EXPORT_TIMEOUT', 'exportTimeoutMillis');
  read('MAX_QUEUE_SIZE', 'maxQueueSize');
  read('MAX_EXPORT_BATCH_SIZE', 'maxExportBatchSize');
  return out;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function resolveInstrumentations(
  env: Env,
  given: InstrumentationName[] | undefined,
  bad: Bad,
): InstrumentationName[] {
  const known = (variable: string, names: readonly string[]): string[] => {
    const unknown = names.filter((n) => !INSTRUMENTATION_NAMES.includes(n));
    if (unknown.length > 0) {
      const named = unknown.map((n) => {
        const near = INSTRUMENTATION_NAMES.find((k) => k.startsWith(n) || n.startsWith(k));
        return near ? `"${n}" (did you mean "${near}"?)` : `"${n}"`;
      });
      bad(
        'FAULTLINE_ERR_UNKNOWN_INSTRUMENTATION',
        variable,
        `${variable} names ${named.join(', ')}, which no instrumentation has; accepted values: ${INSTRUMENTATION_NAMES.join(', ')}. Ignoring ${unknown.length === 1 ? 'it' : 'them'}.`,
      );
    }
    return names.filter((n) => INSTRUMENTATION_NAMES.includes(n));
  };
  if (given) return known('instrumentations', given);
  const listed = (variable: string) => {
    const names = list(env, variable);
    return names === undefined ? undefined : known(variable, names);
  };
  // The stock register's rules: the enabled list (default: all but fs and host-metrics), minus the disabled one.
  const enabled = listed('OTEL_NODE_ENABLED_INSTRUMENTATIONS') ?? [...DEFAULT_INSTRUMENTATIONS];
  const disabled = listed('OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? [];
  return enabled.filter((n) => !disabled.includes(n));
}

function resolveRecording(env: Env, options: StartOptions, bad: Bad): ResolvedConfig['recording'] {
  const names = <T extends string>(
    variable: string,
    given: T[] | undefined,
    valid: (value: string) => value is T,
    accepted: string,
  ): T[] => {
    const raw = given ?? list(env, variable) ?? [];
    const wrong = raw.filter((n) => !valid(n));
    if (wrong.length > 0) {
      bad(
        'FAULTLINE_ERR_INVALID_ENV',
        given ? variable.replace(/^FAULTLINE_/, '').toLowerCase() : variable,
        `${variable} has ${wrong.map((n) => `"${n}"`).join(', ')}; accepted values: ${accepted}. Ignoring ${wrong.length === 1 ? 'it' : 'them'}.`,
      );
    }
    return raw.filter(valid);
  };
  if (options.beforeRecord !== undefined && typeof options.beforeRecord !== 'function') {
    bad('FAULTLINE_ERR_INVALID_ENV', 'beforeRecord', 'beforeRecord must be a function; ignoring it.');
  }
  return {
    beforeRecord: typeof options.beforeRecord === 'function' ? options.beforeRecord : undefined,
    ignoreCodes: names(
      'FAULTLINE_IGNORE_CODES',
      options.ignoreCodes,
      isValidCode,
      'comma-separated snake_case error codes',
    ),
    ignoreCategories: names(
      'FAULTLINE_IGNORE_CATEGORIES',
      options.ignoreCategories,
      isErrorCategory,
      ERROR_CATEGORIES.join(', '),
    ),
    exceptionsPerSecond: integer(
      env,
      'FAULTLINE_EXCEPTION_RATE_LIMIT',
      options.exceptionsPerSecond,
      DEFAULT_EXCEPTIONS_PER_SECOND,
      0,
      1_000_000,
      bad,
    ),
  };
}

function parsePatterns(env: Env, bad: Bad): Array<RegExp | string> {
  const raw = text(env, 'FAULTLINE_REDACT_PATTERNS');
  if (raw === undefined) return [];
  let sources: unknown;
  if (raw.startsWith('[')) {
    try {
      sources = JSON.parse(raw);
    } catch {
      sources = undefined;
    }
  } else {
    sources = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (!Array.isArray(sources) || !sources.every((s) => typeof s === 'string')) {
    bad(
      'FAULTLINE_ERR_INVALID_ENV',
      'FAULTLINE_REDACT_PATTERNS',
      'FAULTLINE_REDACT_PATTERNS is not accepted; accepted values: comma-separated regular expressions, or a JSON array of them. Using the built-in patterns only.',
    );
    return [];
  }
  const out: string[] = [];
  for (const source of sources as string[]) {
    try {
      new RegExp(source);
      out.push(source);
    } catch {
      bad(
        'FAULTLINE_ERR_INVALID_ENV',
        'FAULTLINE_REDACT_PATTERNS',
        `FAULTLINE_REDACT_PATTERNS has "${source}", which is not a valid regular expression; accepted values: comma-separated regular expressions, or a JSON array of them. Skipping it.`,
      );
    }
  }
  return out;
}
