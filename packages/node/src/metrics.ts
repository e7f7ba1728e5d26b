import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import {
  ConsoleMetricExporter,
  type IMetricReader,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import type { ResolvedConfig } from './config.js';
import { type Problem, report } from './report.js';
import { FaultlineNodeError } from './usage-error.js';

/**
 * Resource attributes the Prometheus exporter copies onto every series, so that
 * `faultline_errors_total{service_name="..."}` selects a service without joining target_info.
 */
export const PROMETHEUS_RESOURCE_LABELS = /^service\.name$/;

export interface MetricsSetup {
  readers: IMetricReader[];
  /** Resolves once the Prometheus server listens (or failed, reported); the bound port when it listens. */
  prometheusReady: Promise<number | undefined>;
  /** The Prometheus reader, when metrics are pulled (crash-metrics.ts reads its resource and stops it). */
  prometheus?: PrometheusExporter;
}

export function createMetricReaders(config: ResolvedConfig, onFatal: (err: Error) => void): MetricsSetup {
  const readers: IMetricReader[] = [];
  let prometheusReady: Promise<number | undefined> = Promise.resolve(undefined);
  let pullReader: PrometheusExporter | undefined;
  const { exporters, otlp, prometheus, exportIntervalMs } = config.metrics;

  if (exporters.includes('prometheus')) {
    let exporter: PrometheusExporter | undefined;
    prometheusReady = new Promise((resolve) => {
      exporter = new PrometheusExporter(
        {
          host: prometheus.host,
          port: prometheus.port,
          withResourceConstantLabels: PROMETHEUS_RESOURCE_LABELS,
        },
        (error) => {
          if (!error) {
            resolve(prometheus.port);
            return;
          }
          const problem: Problem = {
            code: 'FAULTLINE_ERR_PORT_IN_USE',
            variable: 'OTEL_EXPORTER_PROMETHEUS_PORT',
            message: `the Prometheus exporter cannot listen on ${prometheus.host}:${prometheus.port} (${(error as NodeJS.ErrnoException).code ?? error.message}); set OTEL_EXPORTER_PROMETHEUS_PORT (an integer from 1 to 65535) or OTEL_EXPORTER_PROMETHEUS_HOST to a free address. /metrics is not served.`,
          };
          report(problem);
          if (config.strict)
            onFatal(new FaultlineNodeError('FAULTLINE_ERR_STRICT', problem.message, { cause: error }));
          resolve(undefined);
        },
      );
    });
    if (exporter) readers.push(exporter);
    pullReader = exporter;
  }
  if (exporters.includes('otlp') && otlp) {
    const exporter =
      otlp.protocol === 'http/json'
        ? new OTLPMetricExporterJson({ url: otlp.url })
        : new OTLPMetricExporterProto({ url: otlp.url });
    readers.push(new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: exportIntervalMs }));
  }
  if (exporters.includes('console')) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new ConsoleMetricExporter(),
        exportIntervalMillis: exportIntervalMs,
      }),
    );
  }
  return { readers, prometheusReady, prometheus: pullReader };
}
