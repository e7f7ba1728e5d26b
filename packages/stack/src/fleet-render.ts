// The fleet's Prometheus config: prometheus/prometheus.yml as render.ts renders it for loopback,
// then widened to the fleet — every agent and gateway scraped, both Alertmanagers notified, every
// sample written on to a long-term store. Both members of the Prometheus pair get this same text:
// same rules, same targets, no replica label, so Alertmanager sees one alert from the two (and
// deduplicates it) and VictoriaMetrics sees one series (and deduplicates its samples).
import { parse } from 'yaml';
import { renderPrometheusConfig } from './render.js';

export interface FleetPrometheusInput {
  repo: string;
  /** host:port of each member of the Prometheus pair (each scrapes both). */
  prometheus: string[];
  alertmanagers: string[];
  /** host:port of each collector's prometheus exporter (span metrics, OTLP metrics), by name. */
  collectorExporters: Record<string, string>;
  /** host:port of each collector's own telemetry, by name. */
  collectorTelemetry: Record<string, string>;
  jaegerMetrics: string;
  servicesFile: string;
  /** Prometheus remote_write URL (VictoriaMetrics: http://host:port/api/v1/write). */
  remoteWriteUrl?: string;
  scrapeIntervalSeconds: number;
}

interface ScrapeConfig {
  job_name: string;
  static_configs?: Array<{ targets: string[]; labels?: Record<string, string> }>;
  [key: string]: unknown;
}

function port(hostPort: string): number {
  return Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
}

/** One target group per collector, labelled with its name (a place to look, not an identity). */
function perCollector(targets: Record<string, string>) {
  return Object.entries(targets).map(([name, target]) => ({
    targets: [target],
    labels: { collector: name },
  }));
}

export function renderFleetPrometheusConfig(input: FleetPrometheusInput): string {
  const firstCollector = Object.values(input.collectorExporters)[0] ?? '127.0.0.1:1';
  const firstTelemetry = Object.values(input.collectorTelemetry)[0] ?? '127.0.0.1:1';
  const rendered = renderPrometheusConfig({
    repo: input.repo,
    ports: {
      prometheus: port(input.prometheus[0] ?? '127.0.0.1:1'),
      alertmanager: port(input.alertmanagers[0] ?? '127.0.0.1:1'),
      collectorPrometheus: port(firstCollector),
      collectorTelemetry: port(firstTelemetry),
      jaegerMetrics: port(input.jaegerMetrics),
    },
    servicesFile: input.servicesFile,
    scrapeIntervalSeconds: input.scrapeIntervalSeconds,
    evaluationIntervalSeconds: input.scrapeIntervalSeconds,
  });
  const config = parse(rendered) as {
    alerting: unknown;
    remote_write?: unknown;
    scrape_configs: ScrapeConfig[];
  };
  config.alerting = { alertmanagers: [{ static_configs: [{ targets: input.alertmanagers }] }] };
  const targets: Record<string, ScrapeConfig['static_configs']> = {
    prometheus: [{ targets: input.prometheus }],
    alertmanager: [{ targets: input.alertmanagers }],
    // honor_labels stays: series keep the job/instance of the service they describe; two agents'
    // span metrics of one service differ by collector_instance_id, so sums over agents count once.
    'otel-collector': perCollector(input.collectorExporters),
    'otel-collector-self': perCollector(input.collectorTelemetry),
  };
  for (const job of config.scrape_configs) {
    const fleetTargets = targets[job.job_name];
    if (fleetTargets) job.static_configs = fleetTargets;
  }
  if (input.remoteWriteUrl) config.remote_write = [{ url: input.remoteWriteUrl }];
  return `# Rendered by @faultline/stack (fleet) from prometheus/prometheus.yml for loopback. Do not edit.\n${JSON.stringify(config, null, 2)}\n`;
}
