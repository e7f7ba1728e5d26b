import { configureFaultline } from '@faultline/errors';
import { DiagConsoleLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { OTLPLogExporter as OTLPLogExporterJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPLogExporterProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  ConsoleLogRecordExporter,
  type LogRecordProcessor,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { type ResolvedConfig, resolveConfig, type StartOptions } from './config.js';
import { createCrashMetrics } from './crash-metrics.js';
import { logsEnabled, onExceptionLog } from './exception-logs.js';
import { TELEMETRY_KEY } from './global-keys.js';
import { createInstrumentations } from './instrumentations.js';
import { createMetricReaders } from './metrics.js';
import { OpenServerSpans } from './open-spans.js';
import { installProcessHandlers, uninstallProcessHandlers } from './process-handlers.js';
import { FaultlineSpanProcessor } from './processor.js';
import { report, strictError } from './report.js';
import { FaultlineNodeError } from './usage-error.js';

interface Flushable {
  forceFlush(): Promise<void>;
}

/** What start() returns: the running telemetry, and how to flush or stop it. */
export interface FaultlineTelemetry {
  /** The configuration in force, with the problems found in it. */
  readonly config: ResolvedConfig;
  /** Whether the SDK runs (false when OTEL_SDK_DISABLED=true or the SDK could not start). */
  readonly enabled: boolean;
  /** The Prometheus port once it listens; undefined when Prometheus is off or could not listen. */
  readonly prometheusPort: Promise<number | undefined>;
  /** Exports everything buffered, giving up after `timeoutMs` (default FAULTLINE_FLUSH_TIMEOUT_MS). */
  flush(timeoutMs?: number): Promise<void>;
  /** Flushes and stops every signal; idempotent. */
  shutdown(): Promise<void>;
}

// One instance per process even when the CJS and ESM builds (or two copies) are both loaded.
const CURRENT = TELEMETRY_KEY;
const store = globalThis as Record<symbol, FaultlineTelemetry | undefined>;

/**
 * Starts the OpenTelemetry Node SDK with Faultline's processors, exporters and instrumentations,
 * configured from options, else the OTEL_* / FAULTLINE_* environment. Bad settings are reported
 * once and turn their signal off (FAULTLINE_STRICT=true makes them throw). A second call returns
 * the running instance.
 */
export function start(options: StartOptions = {}): FaultlineTelemetry {
  const running = store[CURRENT];
  if (running) return running;
  const config = resolveConfig(options);
  for (const problem of config.problems) report(problem);
  if (config.strict && config.problems.length > 0) throw strictError(config.problems);

  if (config.logLevel !== undefined) {
    diag.setLogger(new DiagConsoleLogger(), {
      logLevel: diagLevel(config.logLevel),
      suppressOverrideMessage: true,
    });
  }
  try {
    configureFaultline({
      ...(config.serviceName ? { service: config.serviceName } : {}),
      environment: config.environment,
      exceptionSignal: config.exceptionSignal,
      onExceptionLog: logsEnabled(config.exceptionSignal) ? onExceptionLog : undefined,
      redactPatterns: config.redactPatterns,
      ...config.recording,
    });
  } catch (error) {
    report({
      code: 'FAULTLINE_ERR_INVALID_ENV',
      variable: 'FAULTLINE_REDACT_PATTERNS',
      message: String(error),
    });
    if (config.strict) throw error;
  }

  if (config.disabled) {
    store[CURRENT] = disabledTelemetry(config);
    return store[CURRENT];
  }

  const flushables: Flushable[] = [];
  // Only the process handlers use them: a fatal exception ends the SERVER spans still open.
  const openSpans = config.processHandlers ? new OpenServerSpans() : undefined;
  const spanProcessors = createSpanProcessors(config);
  const logRecordProcessors = createLogProcessors(config);
  flushables.push(...spanProcessors, ...logRecordProcessors);
  const metrics = createMetricReaders(config, (fatal) => {
    // Strict mode: a port that cannot be bound is fatal, but it is only known after start returned.
    setImmediate(() => {
      throw fatal;
    });
  });
  flushables.push(...metrics.readers.filter((r): r is typeof r & Flushable => 'forceFlush' in r));

  let sdk: NodeSDK | undefined;
  try {
    const resource = defaultResource().merge(resourceFromAttributes(config.resourceAttributes));
    sdk = new NodeSDK({
      resource,
      ...(config.serviceName ? { serviceName: config.serviceName } : {}),
      instrumentations: createInstrumentations(config.instrumentations, {
        traceResponse: config.traceResponse,
      }),
      spanProcessors:
        spanProcessors.length > 0
          ? [new FaultlineSpanProcessor(config.exceptionSignal, openSpans), ...spanProcessors]
          : [],
      metricReaders: metrics.readers,
      logRecordProcessors,
    });
    sdk.start();
  } catch (error) {
    const failure = new FaultlineNodeError(
      'FAULTLINE_ERR_SDK_START',
      `the OpenTelemetry SDK did not start: ${String(error)}`,
      {
        cause: error,
      },
    );
    report({ code: failure.code, message: failure.message });
    if (config.strict) throw failure;
    store[CURRENT] = disabledTelemetry(config);
    return store[CURRENT];
  }

  const flush = (timeoutMs = config.flushTimeoutMs) => flushAll(flushables, timeoutMs);
  let stopping: Promise<void> | undefined;
  const telemetry: FaultlineTelemetry = {
    config,
    enabled: true,
    prometheusPort: metrics.prometheusReady,
    flush,
    shutdown() {
      stopping ??= (async () => {
        uninstallProcessHandlers();
        await flush();
        await withTimeout(sdk.shutdown(), config.flushTimeoutMs).catch((error) =>
          report({ code: 'FAULTLINE_ERR_FLUSH_FAILED', message: `shutdown: ${String(error)}` }),
        );
      })();
      return stopping;
    },
  };
  store[CURRENT] = telemetry;
  if (config.processHandlers)
    installProcessHandlers({
      flush,
      timeoutMs: config.flushTimeoutMs,
      openSpans,
      crashMetrics: createCrashMetrics(config, metrics.prometheus),
    });
  return telemetry;
}

/** Stops the running instance (if any); safe to call more than once. */
export async function shutdown(): Promise<void> {
  await store[CURRENT]?.shutdown();
}

/** The running instance, if start() was called. */
export function telemetry(): FaultlineTelemetry | undefined {
  return store[CURRENT];
}

function disabledTelemetry(config: ResolvedConfig): FaultlineTelemetry {
  return {
    config,
    enabled: false,
    prometheusPort: Promise.resolve(undefined),
    flush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}

function createSpanProcessors(config: ResolvedConfig): SpanProcessor[] {
  const out: SpanProcessor[] = [];
  const { exporters, otlp } = config.traces;
  if (exporters.includes('otlp') && otlp) {
    const exporter =
      otlp.protocol === 'http/json'
        ? new OTLPTraceExporterJson({ url: otlp.url })
        : new OTLPTraceExporterProto({ url: otlp.url });
    out.push(new BatchSpanProcessor({ exporter, ...config.batchSpans }));
  }
  if (exporters.includes('console'))
    out.push(new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }));
  return out;
}

function createLogProcessors(config: ResolvedConfig): LogRecordProcessor[] {
  const out: LogRecordProcessor[] = [];
  const { exporters, otlp } = config.logs;
  if (exporters.includes('otlp') && otlp) {
    const exporter =
      otlp.protocol === 'http/json'
        ? new OTLPLogExporterJson({ url: otlp.url })
        : new OTLPLogExporterProto({ url: otlp.url });
    out.push(new BatchLogRecordProcessor({ exporter, ...config.batchLogs }));
  }
  if (exporters.includes('console'))
    out.push(new SimpleLogRecordProcessor({ exporter: new ConsoleLogRecordExporter() }));
  return out;
}

async function flushAll(flushables: readonly Flushable[], timeoutMs: number): Promise<void> {
  // Spans first: ending work (our processor) may emit log records and metric increments.
  const work = Promise.allSettled(flushables.map((f) => f.forceFlush())).then((results) => {
    for (const r of results) {
      if (r.status === 'rejected') report({ code: 'FAULTLINE_ERR_FLUSH_FAILED', message: String(r.reason) });
    }
  });
  try {
    await withTimeout(work, timeoutMs);
  } catch {
    report({
      code: 'FAULTLINE_ERR_FLUSH_TIMEOUT',
      variable: 'FAULTLINE_FLUSH_TIMEOUT_MS',
      message: `telemetry was not flushed within ${timeoutMs} ms (FAULTLINE_FLUSH_TIMEOUT_MS); buffered data may be lost.`,
    });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function diagLevel(level: NonNullable<ResolvedConfig['logLevel']>): DiagLogLevel {
  const map: Record<typeof level, DiagLogLevel> = {
    none: DiagLogLevel.NONE,
    error: DiagLogLevel.ERROR,
    warn: DiagLogLevel.WARN,
    info: DiagLogLevel.INFO,
    debug: DiagLogLevel.DEBUG,
    verbose: DiagLogLevel.VERBOSE,
    all: DiagLogLevel.ALL,
  };
  return map[level];
}
