import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';

export interface PrometheusRenderInput {
  repo: string;
  ports: {
    prometheus: number;
    alertmanager: number;
    collectorPrometheus: number;
    collectorTelemetry: number;
    jaegerMetrics: number;
  };
  /** File-based service discovery for the services' /metrics, so tests can add targets at run time. */
  servicesFile: string;
  scrapeIntervalSeconds: number;
  evaluationIntervalSeconds: number;
}

const JOB_TARGETS: Record<string, keyof PrometheusRenderInput['ports']> = {
  prometheus: 'prometheus',
  alertmanager: 'alertmanager',
  'otel-collector': 'collectorPrometheus',
  'otel-collector-self': 'collectorTelemetry',
  jaeger: 'jaegerMetrics',
};

/**
 * prometheus/prometheus.yml (written for compose, with service names as hosts) rendered for
 * loopback: every target points at 127.0.0.1 and the port the stack chose, rule files are absolute,
 * and the services job reads its targets from a file the stack (and tests) can rewrite.
 */
export function renderPrometheusConfig(input: PrometheusRenderInput): string {
  const doc = parseDocument(readFileSync(join(input.repo, 'prometheus', 'prometheus.yml'), 'utf8'));
  const config = doc.toJS() as {
    global?: Record<string, unknown>;
    rule_files?: string[];
    alerting?: unknown;
    scrape_configs: Array<Record<string, unknown>>;
  };
  config.global = {
    ...config.global,
    scrape_interval: `${input.scrapeIntervalSeconds}s`,
    evaluation_interval: `${input.evaluationIntervalSeconds}s`,
  };
  config.rule_files = (config.rule_files ?? []).map((f) => join(input.repo, 'prometheus', f));
  config.alerting = {
    alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${input.ports.alertmanager}`] }] }],
  };
  for (const job of config.scrape_configs) {
    const name = String(job.job_name);
    const portKey = JOB_TARGETS[name];
    if (portKey) {
      job.static_configs = [{ targets: [`127.0.0.1:${input.ports[portKey]}`] }];
      // Compose's per-job intervals (e.g. 10s for the exporter) would slow the loopback stack down.
      delete job.scrape_interval;
    } else if (name === 'faultline-services') {
      delete job.static_configs;
      delete job.scrape_interval;
      job.file_sd_configs = [{ files: [input.servicesFile], refresh_interval: '5s' }];
    }
  }
  return `# Rendered by @faultline/stack from prometheus/prometheus.yml for loopback. Do not edit.\n${JSON.stringify(config, null, 2)}\n`;
}

/** prometheus/alertmanager.yml with its loopback webhook origin replaced by the stack's receiver. */
export function renderAlertmanagerConfig(repo: string, webhookOrigin: string): string {
  const text = readFileSync(join(repo, 'prometheus', 'alertmanager.yml'), 'utf8');
  return text.replaceAll('http://127.0.0.1:9099', webhookOrigin.replace(/\/$/, ''));
}

/** The file_sd list Prometheus reads the services from (job `faultline-services`), rewritten whole. */
export function writeServiceTargets(file: string, targets: Iterable<string>): void {
  writeFileSync(file, JSON.stringify([{ targets: [...targets], labels: { job: 'faultline-services' } }]));
}
