import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './ports.js';
import { type ManagedProcess, startProcess, waitHealthy } from './process.js';
import { renderAlertmanagerConfig, renderPrometheusConfig } from './render.js';
import { repoRoot, requireTool } from './tools.js';
import { StackError } from './usage-error.js';

const PORT_NAMES = [
  'otlpGrpc',
  'otlpHttp',
  'collectorHealth',
  'collectorZpages',
  'collectorPrometheus',
  'collectorTelemetry',
  'jaegerOtlpGrpc',
  'jaegerOtlpHttp',
  'jaegerQueryHttp',
  'jaegerQueryGrpc',
  'jaegerHealth',
  'jaegerMetrics',
  'prometheus',
  'alertmanager',
  'webhook',
] as const;
export type StackPorts = Record<(typeof PORT_NAMES)[number], number>;

export interface ReceivedAlert {
  receivedAt: number;
  /** The Alertmanager webhook payload (version 4). */
  payload: {
    receiver: string;
    status: 'firing' | 'resolved';
    groupLabels: Record<string, string>;
    commonLabels: Record<string, string>;
    alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string> }>;
  };
  path: string;
}

export interface StackOptions {
  /** Where logs, data and rendered configs go (default: a new temp folder). */
  runDir?: string;
  /** Prometheus scrape and rule evaluation interval (default 2 s: tests and the demo want fresh data). */
  scrapeIntervalSeconds?: number;
  /** The collector's span-metrics flush interval (default 2 s). */
  spanMetricsFlushSeconds?: number;
  /** Share of OK traces the tail sampler keeps (default: the config's 10%). */
  samplingPercentage?: number;
  /** Tail-sampling decision wait (default 2 s on loopback). */
  samplingDecisionWaitSeconds?: number;
  /** How long the collector retries a failed export before counting it as failed (default: the config's 300 s). */
  exportRetryMaxElapsedSeconds?: number;
  /** Per program start timeout (default 60 s: a cold, loaded 2-core machine is slow). */
  startTimeoutMs?: number;
  /** Initial services' metrics targets (host:port); more with addServiceTarget(). */
  serviceTargets?: string[];
}

export interface RunningStack {
  ports: StackPorts;
  runDir: string;
  urls: {
    otlpHttp: string;
    otlpGrpc: string;
    jaegerQuery: string;
    prometheus: string;
    alertmanager: string;
    collectorMetrics: string;
    collectorTelemetry: string;
  };
  /** Alerts that Alertmanager delivered to the stack's webhook receiver, oldest first. */
  alerts: ReceivedAlert[];
  /** The same notifications as JSON lines, for other processes. */
  alertsFile: string;
  /** Environment for an instrumented app: OTLP endpoints pointing at this stack's collector. */
  appEnv(serviceName: string, metricsPort: number): Record<string, string>;
  addServiceTarget(target: string): void;
  /** Stops one program of the stack (fault injection: a pipeline component goes down). */
  stopProgram(name: 'jaeger' | 'collector' | 'alertmanager' | 'prometheus'): Promise<void>;
  removeServiceTarget(target: string): void;
  stop(): Promise<void>;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new StackError('FAULTLINE_ERR_STACK_BAD_OPTION', `${name} must be a positive number; got ${value}`);
  }
  return value;
}

/**
 * Starts the real collector, Jaeger, Prometheus and Alertmanager on free loopback ports with the
 * repository's configs, waits for their health endpoints, and returns how to reach them.
 */
export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const repo = repoRoot();
  const bins = {
    collector: requireTool('collector'),
    jaeger: requireTool('jaeger'),
    prometheus: requireTool('prometheus'),
    alertmanager: requireTool('alertmanager'),
  };
  const scrape = positive('scrapeIntervalSeconds', options.scrapeIntervalSeconds, 2);
  const flush = positive('spanMetricsFlushSeconds', options.spanMetricsFlushSeconds, 2);
  const decisionWait = positive('samplingDecisionWaitSeconds', options.samplingDecisionWaitSeconds, 2);
  const startTimeout = positive('startTimeoutMs', options.startTimeoutMs, 60_000);
  const runDir = options.runDir ?? mkdtempSync(join(tmpdir(), 'faultline-stack-'));
  mkdirSync(runDir, { recursive: true });
  const ports = await freePorts(PORT_NAMES);

  const alerts: ReceivedAlert[] = [];
  const alertsFile = join(runDir, 'alerts.jsonl');
  const webhook = await startWebhook(ports.webhook, alerts, alertsFile);
  const processes: ManagedProcess[] = [];

  const servicesFile = join(runDir, 'services.json');
  const targets = new Set(options.serviceTargets ?? []);
  const writeTargets = () =>
    writeFileSync(
      servicesFile,
      JSON.stringify([{ targets: [...targets], labels: { job: 'faultline-services' } }]),
    );
  writeTargets();

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    FAULTLINE_BIND_HOST: '127.0.0.1',
    FAULTLINE_COLLECTOR_OTLP_GRPC_PORT: String(ports.otlpGrpc),
    FAULTLINE_COLLECTOR_OTLP_HTTP_PORT: String(ports.otlpHttp),
    FAULTLINE_COLLECTOR_HEALTH_PORT: String(ports.collectorHealth),
    FAULTLINE_COLLECTOR_ZPAGES_PORT: String(ports.collectorZpages),
    FAULTLINE_COLLECTOR_PROMETHEUS_PORT: String(ports.collectorPrometheus),
    FAULTLINE_COLLECTOR_TELEMETRY_PORT: String(ports.collectorTelemetry),
    FAULTLINE_JAEGER_OTLP_ENDPOINT: `127.0.0.1:${ports.jaegerOtlpGrpc}`,
    FAULTLINE_JAEGER_OTLP_GRPC_PORT: String(ports.jaegerOtlpGrpc),
    FAULTLINE_JAEGER_OTLP_HTTP_PORT: String(ports.jaegerOtlpHttp),
    FAULTLINE_JAEGER_QUERY_HTTP_PORT: String(ports.jaegerQueryHttp),
    FAULTLINE_JAEGER_QUERY_GRPC_PORT: String(ports.jaegerQueryGrpc),
    FAULTLINE_JAEGER_HEALTH_PORT: String(ports.jaegerHealth),
    FAULTLINE_JAEGER_METRICS_PORT: String(ports.jaegerMetrics),
    FAULTLINE_PROMETHEUS_URL: `http://127.0.0.1:${ports.prometheus}`,
    FAULTLINE_SPANMETRICS_FLUSH_INTERVAL: `${flush}s`,
    FAULTLINE_SAMPLING_DECISION_WAIT: `${decisionWait}s`,
    ...(options.exportRetryMaxElapsedSeconds !== undefined
      ? {
          FAULTLINE_EXPORT_RETRY_MAX_ELAPSED: `${positive('exportRetryMaxElapsedSeconds', options.exportRetryMaxElapsedSeconds, 300)}s`,
        }
      : {}),
    ...(options.samplingPercentage !== undefined
      ? { FAULTLINE_SAMPLING_PERCENTAGE: String(options.samplingPercentage) }
      : {}),
  };

  const stop = async () => {
    await Promise.all(processes.reverse().map((p) => p.stop()));
    await new Promise<void>((resolve) => webhook.close(() => resolve()));
  };

  try {
    const start = async (name: string, command: string, args: string[], healthUrl: string) => {
      const proc = startProcess(name, command, args, env, join(runDir, `${name}.log`));
      processes.push(proc);
      await waitHealthy(proc, healthUrl, startTimeout);
    };
    // Jaeger first (the collector exports to it), Prometheus before Jaeger's SPM queries matter.
    await start(
      'jaeger',
      bins.jaeger,
      ['--config', `file:${join(repo, 'collector', 'jaeger.yaml')}`],
      `http://127.0.0.1:${ports.jaegerHealth}/status`,
    );
    await start(
      'collector',
      bins.collector,
      ['--config', `file:${join(repo, 'collector', 'otelcol.yaml')}`],
      `http://127.0.0.1:${ports.collectorHealth}/`,
    );
    const amConfig = join(runDir, 'alertmanager.yml');
    writeFileSync(amConfig, renderAlertmanagerConfig(repo, `http://127.0.0.1:${ports.webhook}`));
    await start(
      'alertmanager',
      bins.alertmanager,
      [
        `--config.file=${amConfig}`,
        `--storage.path=${join(runDir, 'alertmanager')}`,
        `--web.listen-address=127.0.0.1:${ports.alertmanager}`,
        // No gossip cluster: it would listen on every interface.
        '--cluster.listen-address=',
      ],
      `http://127.0.0.1:${ports.alertmanager}/-/ready`,
    );
    const promConfig = join(runDir, 'prometheus.yml');
    writeFileSync(
      promConfig,
      renderPrometheusConfig({
        repo,
        ports: {
          prometheus: ports.prometheus,
          alertmanager: ports.alertmanager,
          collectorPrometheus: ports.collectorPrometheus,
          collectorTelemetry: ports.collectorTelemetry,
          jaegerMetrics: ports.jaegerMetrics,
        },
        servicesFile,
        scrapeIntervalSeconds: scrape,
        evaluationIntervalSeconds: scrape,
      }),
    );
    await start(
      'prometheus',
      bins.prometheus,
      [
        `--config.file=${promConfig}`,
        `--storage.tsdb.path=${join(runDir, 'prometheus')}`,
        `--web.listen-address=127.0.0.1:${ports.prometheus}`,
        '--enable-feature=exemplar-storage',
        '--web.enable-lifecycle',
      ],
      `http://127.0.0.1:${ports.prometheus}/-/ready`,
    );
  } catch (e) {
    await stop();
    throw e;
  }

  const urls = {
    otlpHttp: `http://127.0.0.1:${ports.otlpHttp}`,
    otlpGrpc: `http://127.0.0.1:${ports.otlpGrpc}`,
    jaegerQuery: `http://127.0.0.1:${ports.jaegerQueryHttp}`,
    prometheus: `http://127.0.0.1:${ports.prometheus}`,
    alertmanager: `http://127.0.0.1:${ports.alertmanager}`,
    collectorMetrics: `http://127.0.0.1:${ports.collectorPrometheus}/metrics`,
    collectorTelemetry: `http://127.0.0.1:${ports.collectorTelemetry}/metrics`,
  };
  return {
    ports,
    runDir,
    urls,
    alerts,
    alertsFile,
    appEnv: (serviceName, metricsPort) => appEnv(urls.otlpHttp, serviceName, metricsPort),
    async stopProgram(name) {
      await processes.find((p) => p.name === name)?.stop();
    },
    addServiceTarget(target) {
      targets.add(target);
      writeTargets();
    },
    removeServiceTarget(target) {
      targets.delete(target);
      writeTargets();
    },
    stop,
  };
}

/**
 * Environment for an app instrumented by the register that exports to a stack: OTLP to its
 * collector, a Prometheus /metrics endpoint on `metricsPort`, and a short span batch delay so tests
 * and the demo see traces quickly.
 */
export function appEnv(
  otlpHttpUrl: string,
  serviceName: string,
  metricsPort: number,
): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: serviceName,
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpHttpUrl,
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_LOGS_EXPORTER: 'otlp',
    OTEL_METRICS_EXPORTER: 'prometheus',
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
}

/** Alertmanager's webhook receiver on loopback: records every notification it gets. */
function startWebhook(port: number, sink: ReceivedAlert[], file: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= 4 * 1024 * 1024) chunks.push(c);
      });
      req.on('end', () => {
        try {
          const alert: ReceivedAlert = {
            receivedAt: Date.now(),
            path: req.url ?? '/',
            payload: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          };
          sink.push(alert);
          // Also on disk, for readers in other processes (test workers, the demo's summary).
          appendFileSync(file, `${JSON.stringify(alert)}\n`);
          res.writeHead(200).end();
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
