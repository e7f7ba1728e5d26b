import { randomUUID } from 'node:crypto';
import { ERRORS_METRIC, type FaultlineError } from '@faultline/errors';
import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { OtlpTarget, ResolvedConfig } from './config.js';

/**
 * A crash still pages when metrics are pulled. With the Prometheus exporter (the default), the
 * faultline.errors increment of a fatal exception lives in a process that is about to die: nobody
 * scrapes it in time. So, for a fatal failure only:
 *  - in the tick that counts it, the app's /metrics endpoint stops serving (no scrape can see the
 *    increment after that, so it reaches Prometheus by one path only);
 *  - during the bounded flush before exit, that one increment is pushed once over OTLP, next to the
 *    traces (`…/v1/metrics` beside `…/v1/traces`), by a MeterProvider of its own that holds nothing
 *    else: the collector exposes it as faultline_errors_total with the same labels, under the
 *    app's resource plus a `service.instance.id` of this process when it has none (a new series per
 *    crashed process, so the next crash of the service is a new increment, not the same value again).
 * When metrics are pushed already (OTEL_METRICS_EXPORTER includes otlp) the regular reader's flush
 * carries the increment and this stays off; with no Prometheus exporter there is nothing to rescue.
 */
export interface CrashMetrics {
  /** The fatal failure's increment, as countError counts it; called in the failing tick. */
  record(err: FaultlineError, operation: string): void;
  /** Pushes what record() noted; settles within timeoutMs whatever the endpoint does. */
  push(timeoutMs: number): Promise<void>;
}

/** Where the crash counter goes: beside the traces' OTLP endpoint (else the logs'), same protocol. */
export function crashMetricsTarget(config: ResolvedConfig): OtlpTarget | undefined {
  for (const target of [config.traces.otlp, config.logs.otlp]) {
    if (target === undefined) continue;
    const m = /^(.*\/)v1\/(traces|logs)\/?$/.exec(target.url);
    if (m) return { url: `${m[1]}v1/metrics`, protocol: target.protocol };
  }
  return undefined;
}

export function createCrashMetrics(
  config: ResolvedConfig,
  prometheus: PrometheusExporter | undefined,
): CrashMetrics | undefined {
  if (prometheus === undefined || config.metrics.exporters.includes('otlp')) return undefined;
  const target = crashMetricsTarget(config);
  if (target === undefined) return undefined;
  const pending: Array<Record<string, string>> = [];
  let pushed: Promise<void> | undefined;

  const send = async (timeoutMs: number): Promise<void> => {
    // The resource the app's metrics carry (after the SDK's detectors), read from its own reader.
    const { resourceMetrics } = await prometheus.collect({ timeoutMillis: timeoutMs });
    const resource: Resource = resourceFromAttributes({ 'service.instance.id': randomUUID() }).merge(
      resourceMetrics.resource,
    );
    const exporter =
      target.protocol === 'http/json'
        ? new OTLPMetricExporterJson({ url: target.url, timeoutMillis: timeoutMs })
        : new OTLPMetricExporterProto({ url: target.url, timeoutMillis: timeoutMs });
    const reader = new PeriodicExportingMetricReader({
      exporter,
      // Never on a timer: the one export is the forceFlush below.
      exportIntervalMillis: 2_147_483_647,
      exportTimeoutMillis: timeoutMs,
    });
    const provider = new MeterProvider({ resource, readers: [reader] });
    const counter = provider.getMeter('@faultline/errors').createCounter(ERRORS_METRIC, {
      description: 'Errors recorded by Faultline, by type, category, severity and operation',
      unit: '{error}',
    });
    for (const attributes of pending.splice(0)) counter.add(1, attributes);
    await provider.forceFlush();
  };

  return {
    record(err, operation) {
      pending.push({
        'error.type': err.code,
        'error.category': err.category,
        'error.severity': err.severity,
        operation: operation.slice(0, 128),
      });
      // Closes the listener and idle keep-alive connections now; the promise is not waited for.
      prometheus.stopServer().catch(() => {});
    },
    push(timeoutMs) {
      if (pending.length === 0) return Promise.resolve();
      pushed ??= withTimeout(send(timeoutMs), timeoutMs).catch(() => {});
      return pushed;
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
