// start() options and the OTEL_* / FAULTLINE_* variables, read into one ResolvedConfig: one resolver
// per signal (traces, metrics, logs), the instrumentations, what is recorded and the process
// settings, all with the shared reader of @faultline/errors/internal (settings.ts). Every variable
// is named here as a string literal (test/docs.test.ts finds them and checks the README).
import {
  type BeforeRecord,
  DEFAULT_EXCEPTIONS_PER_SECOND,
  type Environment,
  ERROR_CATEGORIES,
  type ErrorCategory,
  type ExceptionSignal,
  isErrorCategory,
  isValidCode,
} from '@faultline/errors';
import {
  BOOLEAN_TEXT,
  type Check,
  ENVIRONMENTS,
  type Env,
  envList,
  envText,
  integerIn,
  oneOf,
  patternSources,
  readSetting,
} from '@faultline/errors/internal';
import { DEFAULT_INSTRUMENTATIONS, INSTRUMENTATION_NAMES } from './instrumentations.js';
import type { Problem } from './report.js';

export type Signal = 'traces' | 'metrics' | 'logs';
export type TracesExporterName = 'otlp' | 'console' | 'none';
export type MetricsExporterName = 'prometheus' | 'otlp' | 'console' | 'none';
export type LogsExporterName = 'otlp' | 'console' | 'none';
export type OtlpProtocol = 'http/protobuf' | 'http/json';
/** A short instrumentation name as OTEL_NODE_ENABLED_INSTRUMENTATIONS takes it: `http`, `pg`, `fastify`… */
export type InstrumentationName = string;
export type LogLevel = 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';
export type { Environment, ExceptionSignal };

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
  /** FAULTLINE_COMPILE_CACHE: whether the register turned Node's compile cache on (compile-cache.ts). */
  compileCache: boolean;
  /** What is recorded: the hook, the ignore lists and the storm guard. */
  recording: {
    beforeRecord: BeforeRecord | undefined;
    ignoreCodes: string[];
    ignoreCategories: ErrorCategory[];
    exceptionsPerSecond: number;
  };
  problems: Problem[];
}

const DEFAULT_OTLP = 'http://localhost:4318';
const SIGNAL_PATH: Record<Signal, string> = { traces: 'v1/traces', metrics: 'v1/metrics', logs: 'v1/logs' };
const LOG_LEVELS: LogLevel[] = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'];

type Bad = (code: Problem['code'], variable: string, message: string) => void;

/** Where a resolver reads from and reports to. */
interface Sources {
  options: StartOptions;
  env: Env;
  bad: Bad;
}

/**
 * Reads OTEL_* and FAULTLINE_* (options win), validating every value. A bad value never throws:
 * it becomes a Problem and the setting falls back (or its signal turns off).
 */
export function resolveConfig(options: StartOptions = {}, env: Env = process.env): ResolvedConfig {
  const problems: Problem[] = [];
  const from: Sources = {
    options,
    env,
    bad: (code, variable, message) => problems.push({ code, variable, message }),
  };
  return {
    ...resolveProcess(from),
    traces: resolveTraces(from),
    metrics: resolveMetrics(from),
    logs: resolveLogs(from),
    batchSpans: batch(from, 'OTEL_BSP'),
    batchLogs: batch(from, 'OTEL_BLRP'),
    instrumentations: resolveInstrumentations(from),
    recording: resolveRecording(from),
    problems,
  };
}

type ProcessSettings = Omit<
  ResolvedConfig,
  'traces' | 'metrics' | 'logs' | 'batchSpans' | 'batchLogs' | 'instrumentations' | 'recording' | 'problems'
>;

/** The settings of the process rather than of one signal. */
function resolveProcess(from: Sources): ProcessSettings {
  const { options, env, bad } = from;
  const strict = bool(from, 'FAULTLINE_STRICT', options.strict, false);
  const flushTimeoutMs = integer(from, 'FAULTLINE_FLUSH_TIMEOUT_MS', options.flushTimeoutMs, 2000, 0, 60_000);

  let exceptionSignal: ExceptionSignal = options.exceptionSignal ?? 'events';
  if (options.exceptionSignal === undefined) {
    const raw = envList(env, 'OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN');
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

  const environment: Environment =
    options.environment ??
    checkedText(from, 'FAULTLINE_ENVIRONMENT', oneOf(ENVIRONMENTS), 'production', 'Using production.');
  const redactPatterns = options.redactPatterns ?? parsePatterns(from);
  const logLevel: LogLevel | undefined =
    options.logLevel ??
    checkedText(
      from,
      'OTEL_LOG_LEVEL',
      oneOf(LOG_LEVELS),
      undefined,
      'Using the SDK default.',
      envText(env, 'OTEL_LOG_LEVEL')?.toLowerCase(),
    );

  return {
    disabled: bool(from, 'OTEL_SDK_DISABLED', undefined, false),
    serviceName: options.serviceName ?? envText(env, 'OTEL_SERVICE_NAME'),
    resourceAttributes: options.resourceAttributes ?? {},
    exceptionSignal,
    environment,
    redactPatterns,
    strict,
    flushTimeoutMs,
    logLevel,
    processHandlers: options.processHandlers ?? true,
    traceResponse: bool(from, 'FAULTLINE_TRACE_RESPONSE', options.traceResponse, true),
    // Read by the register before anything else loads (compile-cache.ts); checked here to report a bad value.
    compileCache: bool(from, 'FAULTLINE_COMPILE_CACHE', undefined, true),
  };
}

/** What OTEL_TRACES_EXPORTER and OTEL_LOGS_EXPORTER accept. */
const OTLP_OR_CONSOLE = ['otlp', 'console', 'none'] as const;

function resolveTraces(from: Sources): ResolvedConfig['traces'] {
  const given = from.options.tracesExporter;
  return withOtlp(
    from,
    'traces',
    exportersOf(from, 'OTEL_TRACES_EXPORTER', given, OTLP_OR_CONSOLE, ['otlp']),
  );
}

function resolveMetrics(from: Sources): ResolvedConfig['metrics'] {
  const { options, env, bad } = from;
  const exporters = exportersOf<MetricsExporterName>(
    from,
    'OTEL_METRICS_EXPORTER',
    options.metricsExporter,
    ['prometheus', 'otlp', 'console', 'none'],
    ['prometheus'],
  );
  const prometheusHost =
    options.prometheusHost ?? envText(env, 'OTEL_EXPORTER_PROMETHEUS_HOST') ?? 'localhost';
  let prometheusPort = 9464;
  const portRaw = options.prometheusPort ?? envText(env, 'OTEL_EXPORTER_PROMETHEUS_PORT');
  if (portRaw !== undefined) {
    const port = Number(portRaw);
    if (PORT.test(port)) prometheusPort = port;
    else if (exporters.includes('prometheus')) {
      bad(
        'FAULTLINE_ERR_INVALID_ENV',
        'OTEL_EXPORTER_PROMETHEUS_PORT',
        `OTEL_EXPORTER_PROMETHEUS_PORT="${portRaw}" is not a port; accepted values: ${PORT.accepted}. The Prometheus exporter is off.`,
      );
      prometheusPort = -1;
    }
  }
  const kept = prometheusPort === -1 ? exporters.filter((e) => e !== 'prometheus') : exporters;
  return {
    ...withOtlp(from, 'metrics', kept),
    prometheus: { host: prometheusHost, port: prometheusPort },
    exportIntervalMs: integer(from, 'OTEL_METRIC_EXPORT_INTERVAL', undefined, 60_000, 100, 86_400_000),
  };
}

function resolveLogs(from: Sources): ResolvedConfig['logs'] {
  const given = from.options.logsExporter;
  return withOtlp(from, 'logs', exportersOf(from, 'OTEL_LOGS_EXPORTER', given, OTLP_OR_CONSOLE, ['otlp']));
}

const PORT = integerIn(1, 65535);

/** An exporter list from its option or variable; `none` empties it, unknown names are skipped. */
function exportersOf<T extends string>(
  { env, bad }: Sources,
  variable: string,
  given: T[] | undefined,
  accepted: readonly T[],
  fallback: T[],
): T[] {
  const names = given ?? (envList(env, variable) as T[] | undefined) ?? fallback;
  if (names.includes('none' as T)) return [];
  for (const n of names) {
    if (!accepted.includes(n)) {
      bad(
        'FAULTLINE_ERR_UNKNOWN_EXPORTER',
        variable,
        `${variable}="${n}" is not an exporter we ship; accepted values: ${accepted.join(', ')}. Skipping it.`,
      );
    }
  }
  return names.filter((n) => accepted.includes(n));
}

/** The signal's OTLP target when its exporters include otlp; otlp is dropped when the target is bad. */
function withOtlp<T extends string>(
  from: Sources,
  signal: Signal,
  exporters: T[],
): { exporters: T[]; otlp: OtlpTarget | undefined } {
  if (!exporters.includes('otlp' as T)) return { exporters, otlp: undefined };
  const otlp = otlpFor(from, signal);
  return { exporters: otlp ? exporters : exporters.filter((e) => e !== 'otlp'), otlp };
}

function otlpFor({ options, env, bad }: Sources, signal: Signal): OtlpTarget | undefined {
  const upper = signal.toUpperCase();
  const protocolVar = envText(env, `OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`)
    ? `OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocolRaw = envText(env, protocolVar) ?? 'http/protobuf';
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
  const signalUrl = envText(env, signalVar);
  let variable: string;
  let url: string;
  if (signalUrl !== undefined) {
    variable = signalVar;
    url = signalUrl;
  } else {
    variable = options.otlpEndpoint !== undefined ? 'otlpEndpoint' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
    const base = options.otlpEndpoint ?? envText(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') ?? DEFAULT_OTLP;
    url = `${base.replace(/\/+$/, '')}/${SIGNAL_PATH[signal]}`;
  }
  if (!isHttpUrl(url)) {
    bad(
      'FAULTLINE_ERR_INVALID_URL',
      variable,
      `${variable}="${signalUrl ?? options.otlpEndpoint ?? envText(env, 'OTEL_EXPORTER_OTLP_ENDPOINT')}" is not an absolute http:// or https:// URL (e.g. http://localhost:4318); ${signal} export over OTLP is off.`,
    );
    return undefined;
  }
  return { url, protocol };
}

/** A variable checked against `check`; a rejected value is reported and `fallback` used. */
function checkedText<T, F extends T | undefined>(
  { env, bad }: Sources,
  name: string,
  check: Check<T>,
  fallback: F,
  using: string,
  text: string | undefined = envText(env, name),
): T | F {
  return readSetting<T | F>(check as Check<T | F>, text, fallback, (raw, accepted) =>
    bad(
      'FAULTLINE_ERR_INVALID_ENV',
      name,
      `${name}="${String(raw)}" is not accepted; accepted values: ${accepted}. ${using}`,
    ),
  );
}

function bool(from: Sources, name: string, given: boolean | undefined, fallback: boolean): boolean {
  if (given !== undefined) return given;
  const text = envText(from.env, name)?.toLowerCase();
  return (
    checkedText(from, name, BOOLEAN_TEXT, fallback ? 'true' : 'false', `Using ${fallback}.`, text) === 'true'
  );
}

function integer(
  { env, bad }: Sources,
  name: string,
  given: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  return readSetting(
    integerIn(min, max),
    given ?? envText(env, name),
    fallback,
    (raw, accepted) =>
      bad(
        'FAULTLINE_ERR_INVALID_ENV',
        name,
        `${name}="${String(raw)}" is not accepted; accepted values: ${accepted}. Using ${Number.isNaN(fallback) ? 'the SDK default' : fallback}.`,
      ),
    true,
  );
}

function batch(from: Sources, prefix: 'OTEL_BSP' | 'OTEL_BLRP'): BatchSettings {
  const out: BatchSettings = {};
  const read = (suffix: string, key: keyof BatchSettings) => {
    const name = `${prefix}_${suffix}`;
    if (envText(from.env, name) === undefined) return;
    out[key] = integer(from, name, undefined, Number.NaN, 1, 2_147_483_647);
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

function resolveInstrumentations({ options, env, bad }: Sources): InstrumentationName[] {
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
  if (options.instrumentations) return known('instrumentations', options.instrumentations);
  const listed = (variable: string) => {
    const names = envList(env, variable);
    return names === undefined ? undefined : known(variable, names);
  };
  // The stock register's rules: the enabled list (default: all but fs and host-metrics), minus the disabled one.
  const enabled = listed('OTEL_NODE_ENABLED_INSTRUMENTATIONS') ?? [...DEFAULT_INSTRUMENTATIONS];
  const disabled = listed('OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? [];
  return enabled.filter((n) => !disabled.includes(n));
}

function resolveRecording(from: Sources): ResolvedConfig['recording'] {
  const { options, env, bad } = from;
  const names = <T extends string>(
    variable: string,
    given: T[] | undefined,
    valid: (value: string) => value is T,
    accepted: string,
  ): T[] => {
    const raw = given ?? envList(env, variable) ?? [];
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
      from,
      'FAULTLINE_EXCEPTION_RATE_LIMIT',
      options.exceptionsPerSecond,
      DEFAULT_EXCEPTIONS_PER_SECOND,
      0,
      1_000_000,
    ),
  };
}

function parsePatterns({ env, bad }: Sources): Array<RegExp | string> {
  const raw = envText(env, 'FAULTLINE_REDACT_PATTERNS');
  if (raw === undefined) return [];
  const sources = patternSources(raw);
  if (sources === undefined) {
    bad(
      'FAULTLINE_ERR_INVALID_ENV',
      'FAULTLINE_REDACT_PATTERNS',
      'FAULTLINE_REDACT_PATTERNS is not accepted; accepted values: comma-separated regular expressions, or a JSON array of them. Using the built-in patterns only.',
    );
    return [];
  }
  for (const { source, valid } of sources) {
    if (!valid)
      bad(
        'FAULTLINE_ERR_INVALID_ENV',
        'FAULTLINE_REDACT_PATTERNS',
        `FAULTLINE_REDACT_PATTERNS has "${source}", which is not a valid regular expression; accepted values: comma-separated regular expressions, or a JSON array of them. Skipping it.`,
      );
  }
  return sources.filter((s) => s.valid).map((s) => s.source);
}
