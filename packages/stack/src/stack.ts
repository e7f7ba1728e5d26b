import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectorPortEnv, jaegerPortEnv } from './port-env.js';
import { freePorts } from './ports.js';
import { type ManagedProcess, startProcess, waitHealthy } from './process.js';
import { renderAlertmanagerConfig, renderPrometheusConfig, writeServiceTargets } from './render.js';
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
  'logs',
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

/** The programs of a stack, by the name `stopProgram` and `restartProgram` take. */
export type ProgramName = 'jaeger' | 'victorialogs' | 'collector' | 'alertmanager' | 'prometheus';

/** How long each store keeps its data: `<n>h` or `<n>d` (the log store keeps at least 1d). */
export interface StackRetention {
  /** Jaeger's Badger span TTL (default 72h). */
  traces?: string;
  /** VictoriaLogs `-retentionPeriod` (default 7d). */
  logs?: string;
  /** Prometheus `--storage.tsdb.retention.time` (default 15d). */
  metrics?: string;
}

export interface StackOptions {
  /** Where the programs' logs and rendered configs go (default: a new temp folder). */
  runDir?: string;
  /**
   * Where the stores keep their data: Jaeger's Badger files (`jaeger/`), VictoriaLogs
   * (`victorialogs/`), Prometheus' TSDB (`prometheus/`), Alertmanager's silences and notification
   * log (`alertmanager/`). A stack started again on the same folder finds all of it again.
   * Default: `<runDir>/data` (a temp folder: gone with the run). `faultline-stack up` uses
   * FAULTLINE_STACK_DATA, else `<cache>/stack-data`.
   */
  dataDir?: string;
  /** How long the stores keep data (defaults: traces 72h, logs 7d, metrics 15d). */
  retention?: StackRetention;
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
  /** Where the stores keep their data (StackOptions.dataDir). */
  dataDir: string;
  urls: {
    otlpHttp: string;
    otlpGrpc: string;
    jaegerQuery: string;
    /** VictoriaLogs: LogsQL at /select/logsql/query, OTLP at /insert/opentelemetry/v1/logs. */
    logs: string;
    /** VictoriaLogs' web UI (vmui). */
    logsUi: string;
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
  stopProgram(name: ProgramName): Promise<void>;
  /**
   * Stops one program (if it runs) and starts it again with the same ports, config and data
   * folder; resolves once it is healthy. The stores find their earlier data again.
   */
  restartProgram(name: ProgramName): Promise<void>;
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

/** `<n>h` or `<n>d` → hours; a clear error for anything else. */
function retentionHours(name: string, value: string | undefined, fallbackHours: number): number {
  if (value === undefined) return fallbackHours;
  const m = /^([1-9][0-9]{0,5})([hd])$/.exec(String(value).trim());
  if (!m) {
    throw new StackError(
      'FAULTLINE_ERR_STACK_BAD_OPTION',
      `retention.${name} must be a number of hours or days such as 72h or 7d; got ${JSON.stringify(value)}`,
    );
  }
  return Number(m[1]) * (m[2] === 'd' ? 24 : 1);
}

interface ProgramSpec {
  command: string;
  args: string[];
  healthUrl: string;
}

/**
 * Starts the real VictoriaLogs, collector, Jaeger, Prometheus and Alertmanager on free loopback
 * ports with the repository's configs, waits for their health endpoints, and returns how to reach
 * them.
 */
export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const repo = repoRoot();
  const bins = {
    collector: requireTool('collector'),
    jaeger: requireTool('jaeger'),
    prometheus: requireTool('prometheus'),
    alertmanager: requireTool('alertmanager'),
    victorialogs: requireTool('victoria-logs'),
  };
  const scrape = positive('scrapeIntervalSeconds', options.scrapeIntervalSeconds, 2);
  const flush = positive('spanMetricsFlushSeconds', options.spanMetricsFlushSeconds, 2);
  const decisionWait = positive('samplingDecisionWaitSeconds', options.samplingDecisionWaitSeconds, 2);
  const startTimeout = positive('startTimeoutMs', options.startTimeoutMs, 60_000);
  const retention = {
    traces: retentionHours('traces', options.retention?.traces, 72),
    // VictoriaLogs refuses a retention under one day.
    logs: Math.max(24, retentionHours('logs', options.retention?.logs, 7 * 24)),
    metrics: retentionHours('metrics', options.retention?.metrics, 15 * 24),
  };
  if (options.samplingPercentage !== undefined) {
    const p = options.samplingPercentage;
    if (!Number.isFinite(p) || p < 0 || p > 100) {
      throw new StackError(
        'FAULTLINE_ERR_STACK_BAD_OPTION',
        `samplingPercentage must be a number from 0 to 100; got ${p}`,
      );
    }
  }
  const runDir = options.runDir ?? mkdtempSync(join(tmpdir(), 'faultline-stack-'));
  mkdirSync(runDir, { recursive: true });
  const dataDir = options.dataDir ?? join(runDir, 'data');
  for (const sub of ['jaeger', 'victorialogs', 'prometheus', 'alertmanager'])
    mkdirSync(join(dataDir, sub), { recursive: true });
  const ports = await freePorts(PORT_NAMES);

  const alerts: ReceivedAlert[] = [];
  const alertsFile = join(runDir, 'alerts.jsonl');
  const webhook = await startWebhook(ports.webhook, alerts, alertsFile);
  const processes: ManagedProcess[] = [];

  const servicesFile = join(runDir, 'services.json');
  const targets = new Set(options.serviceTargets ?? []);
  const writeTargets = () => writeServiceTargets(servicesFile, targets);
  writeTargets();

  const logsUrl = `http://127.0.0.1:${ports.logs}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    FAULTLINE_BIND_HOST: '127.0.0.1',
    ...collectorPortEnv({
      otlpGrpc: ports.otlpGrpc,
      otlpHttp: ports.otlpHttp,
      health: ports.collectorHealth,
      zpages: ports.collectorZpages,
      prometheus: ports.collectorPrometheus,
      telemetry: ports.collectorTelemetry,
    }),
    FAULTLINE_JAEGER_OTLP_ENDPOINT: `127.0.0.1:${ports.jaegerOtlpGrpc}`,
    ...jaegerPortEnv({
      otlpGrpc: ports.jaegerOtlpGrpc,
      otlpHttp: ports.jaegerOtlpHttp,
      queryHttp: ports.jaegerQueryHttp,
      queryGrpc: ports.jaegerQueryGrpc,
      health: ports.jaegerHealth,
      metrics: ports.jaegerMetrics,
    }),
    FAULTLINE_JAEGER_DATA_DIR: join(dataDir, 'jaeger'),
    FAULTLINE_JAEGER_RETENTION: `${retention.traces}h`,
    FAULTLINE_VICTORIALOGS_URL: logsUrl,
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

  const specs = new Map<ProgramName, ProgramSpec>();
  const launch = async (name: ProgramName) => {
    const spec = specs.get(name);
    if (!spec) throw new StackError('FAULTLINE_ERR_STACK_BAD_OPTION', `no program named ${name}`);
    const proc = startProcess(name, spec.command, spec.args, env, join(runDir, `${name}.log`));
    const at = processes.findIndex((p) => p.name === name);
    if (at >= 0) processes[at] = proc;
    else processes.push(proc);
    await waitHealthy(proc, spec.healthUrl, startTimeout);
  };
  const start = (name: ProgramName, command: string, args: string[], healthUrl: string) => {
    specs.set(name, { command, args, healthUrl });
    return launch(name);
  };
  const stop = async () => {
    await Promise.all([...processes].reverse().map((p) => p.stop()));
    await new Promise<void>((resolve) => webhook.close(() => resolve()));
  };

  try {
    // The stores first (the collector exports to them), Prometheus before Jaeger's SPM queries matter.
    await start(
      'victorialogs',
      bins.victorialogs,
      [
        `-storageDataPath=${join(dataDir, 'victorialogs')}`,
        `-httpListenAddr=127.0.0.1:${ports.logs}`,
        `-retentionPeriod=${retention.logs}h`,
      ],
      `${logsUrl}/health`,
    );
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
        // Silences and the notification log: kept across restarts.
        `--storage.path=${join(dataDir, 'alertmanager')}`,
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
        `--storage.tsdb.path=${join(dataDir, 'prometheus')}`,
        `--storage.tsdb.retention.time=${retention.metrics}h`,
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
    logs: logsUrl,
    logsUi: `${logsUrl}/select/vmui/`,
    prometheus: `http://127.0.0.1:${ports.prometheus}`,
    alertmanager: `http://127.0.0.1:${ports.alertmanager}`,
    collectorMetrics: `http://127.0.0.1:${ports.collectorPrometheus}/metrics`,
    collectorTelemetry: `http://127.0.0.1:${ports.collectorTelemetry}/metrics`,
  };
  return {
    ports,
    runDir,
    dataDir,
    urls,
    alerts,
    alertsFile,
    appEnv: (serviceName, metricsPort) => appEnv(urls.otlpHttp, serviceName, metricsPort),
    async stopProgram(name) {
      await processes.find((p) => p.name === name)?.stop();
    },
    async restartProgram(name) {
      // Badger and the TSDB flush on SIGTERM; give them time before the SIGKILL fallback.
      await processes.find((p) => p.name === name)?.stop(20_000);
      await launch(name);
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
 * collector, a Prometheus /metrics endpoint on `metricsPort`, and short span and log batch delays
 * so tests and the demo see traces and logs quickly.
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
    OTEL_BLRP_SCHEDULE_DELAY: '200',
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
