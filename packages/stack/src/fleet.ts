// The pipeline as a fleet on loopback (docs/scaling.md): agents that scrub, count and route by
// trace ID, gateways that tail-sample, one Jaeger; optionally the HA alerting path — a Prometheus
// pair with the same rules, a two-node Alertmanager cluster gossiping on loopback, VictoriaMetrics
// as the remote-write store. Real programs on free ports, each awaited on its health endpoint;
// any of them can be stopped (gracefully or killed) and started again on the same ports and data.
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configArgs, fleetConfigFiles } from './fleet-config.js';
import { renderFleetPrometheusConfig } from './fleet-render.js';
import { collectorPortEnv, jaegerPortEnv } from './port-env.js';
import { freePorts } from './ports.js';
import { type ManagedProcess, startProcess, waitHealthy } from './process.js';
import { renderAlertmanagerConfig, writeServiceTargets } from './render.js';
import { appEnv } from './stack.js';
import { repoRoot, requireTool } from './tools.js';
import { StackError } from './usage-error.js';

export interface FleetOptions {
  /** Agent collectors (default 2). */
  agents?: number;
  /** Gateway collectors (default 3). */
  gateways?: number;
  /** Where logs, data and rendered configs go (default: a new temp folder). */
  runDir?: string;
  /** Share of OK traces the gateways keep (default: the config's 10%). */
  samplingPercentage?: number;
  /** Tail-sampling decision wait (default 2 s). */
  samplingDecisionWaitSeconds?: number;
  /** The agents' span-metrics flush interval (default 2 s). */
  spanMetricsFlushSeconds?: number;
  /** Start VictoriaLogs for the agents' logs pipeline (default true; false: logs go to `debug`). */
  logs?: boolean;
  /** Start the Prometheus pair, the Alertmanager cluster and VictoriaMetrics (default false). */
  alerting?: boolean;
  /** Prometheus scrape and rule evaluation interval (default 2 s). */
  scrapeIntervalSeconds?: number;
  /** Alertmanager `--cluster.peer-timeout`: how long the second node waits for the first's notification (default 5 s). */
  alertmanagerPeerTimeoutSeconds?: number;
  /** Initial services' metrics targets (host:port); more with addServiceTarget(). */
  serviceTargets?: string[];
  /** Per program start timeout (default 60 s). */
  startTimeoutMs?: number;
}

export interface FleetCollector {
  name: string;
  tier: 'agent' | 'gateway';
  /** OTLP/HTTP base URL (agents: where services send). */
  otlpHttp: string;
  /** OTLP gRPC host:port (gateways: what agents route to). */
  otlpGrpc: string;
  /** The prometheus exporter (span metrics on agents). */
  metricsUrl: string;
  /** The collector's own telemetry (otelcol_*). */
  telemetryUrl: string;
  /** Where its persistent sending queue lives (file_storage). */
  storageDir: string;
}

export interface FleetNotification {
  receivedAt: number;
  path: string;
  /** Which Alertmanager delivered it (its --web.external-url). */
  alertmanager: string;
  payload: {
    receiver: string;
    status: 'firing' | 'resolved';
    groupKey: string;
    groupLabels: Record<string, string>;
    alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string> }>;
  };
}

export interface RunningFleet {
  runDir: string;
  agents: FleetCollector[];
  gateways: FleetCollector[];
  urls: {
    jaegerQuery: string;
    logs?: string;
    prometheus: string[];
    alertmanagers: string[];
    victoriaMetrics?: string;
  };
  /** Notifications the Alertmanager cluster delivered to the fleet's webhook, oldest first. */
  notifications: FleetNotification[];
  /** OTEL_* environment of an app exporting to agent `agent` (default the first). */
  appEnv(serviceName: string, metricsPort: number, agent?: number): Record<string, string>;
  addServiceTarget(target: string): void;
  /** Names of the programs: jaeger, gateway-1…, agent-1…, prometheus-a/b, alertmanager-1/2, … */
  programs(): string[];
  /** Stops a program: SIGTERM and wait (graceful), or SIGKILL (a crash). */
  stopProgram(name: string, how?: 'graceful' | 'kill'): Promise<void>;
  /** Starts a stopped program again with the same ports, config and data; resolves once healthy. */
  startProgram(name: string): Promise<void>;
  stop(): Promise<void>;
}

function count(name: string, value: number | undefined, fallback: number, max: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new StackError(
      'FAULTLINE_ERR_STACK_BAD_OPTION',
      `${name} must be an integer from 1 to ${max}; got ${value}`,
    );
  }
  return n;
}

function seconds(name: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isFinite(n) || n <= 0) {
    throw new StackError('FAULTLINE_ERR_STACK_BAD_OPTION', `${name} must be a positive number; got ${value}`);
  }
  return n;
}

interface Program {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  healthUrl: string;
  proc?: ManagedProcess;
}

const COLLECTOR_PORTS = ['grpc', 'http', 'health', 'zpages', 'prom', 'telemetry'] as const;

/**
 * Starts the fleet: Jaeger (and VictoriaLogs), `gateways` gateway collectors, `agents` agent
 * collectors routing to them by trace ID, and with `alerting` the HA alerting path.
 */
export async function startFleet(options: FleetOptions = {}): Promise<RunningFleet> {
  const repo = repoRoot();
  const agents = count('agents', options.agents, 2, 16);
  const gateways = count('gateways', options.gateways, 3, 16);
  const flush = seconds('spanMetricsFlushSeconds', options.spanMetricsFlushSeconds, 2);
  const decisionWait = seconds('samplingDecisionWaitSeconds', options.samplingDecisionWaitSeconds, 2);
  const scrape = seconds('scrapeIntervalSeconds', options.scrapeIntervalSeconds, 2);
  const peerTimeout = seconds('alertmanagerPeerTimeoutSeconds', options.alertmanagerPeerTimeoutSeconds, 5);
  const startTimeout = seconds('startTimeoutMs', options.startTimeoutMs, 60_000);
  if (
    options.samplingPercentage !== undefined &&
    !(
      Number.isFinite(options.samplingPercentage) &&
      options.samplingPercentage >= 0 &&
      options.samplingPercentage <= 100
    )
  ) {
    throw new StackError(
      'FAULTLINE_ERR_STACK_BAD_OPTION',
      `samplingPercentage must be from 0 to 100; got ${options.samplingPercentage}`,
    );
  }
  const withLogs = options.logs ?? true;
  const alerting = options.alerting ?? false;
  const bins = {
    collector: requireTool('collector'),
    jaeger: requireTool('jaeger'),
    ...(withLogs ? { logs: requireTool('victoria-logs') } : {}),
    ...(alerting
      ? {
          prometheus: requireTool('prometheus'),
          alertmanager: requireTool('alertmanager'),
          vm: requireTool('victoria-metrics'),
        }
      : {}),
  };

  const runDir = options.runDir ?? mkdtempSync(join(tmpdir(), 'faultline-fleet-'));
  const dataDir = join(runDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const names = [
    'jaegerGrpc',
    'jaegerHttp',
    'jaegerQuery',
    'jaegerQueryGrpc',
    'jaegerHealth',
    'jaegerMetrics',
    'logs',
    'webhook',
    'vm',
    'promA',
    'promB',
    'am1',
    'am2',
    'am1Cluster',
    'am2Cluster',
    ...Array.from({ length: agents + gateways }, (_, i) => COLLECTOR_PORTS.map((p) => `c${i}_${p}`)).flat(),
  ];
  const ports = await freePorts(names);
  const at = (name: string) => `127.0.0.1:${ports[name]}`;

  const programs = new Map<string, Program>();
  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    FAULTLINE_BIND_HOST: '127.0.0.1',
  };
  const promUrls = alerting ? [`http://${at('promA')}`, `http://${at('promB')}`] : [];

  const define = (p: Omit<Program, 'proc'>) => programs.set(p.name, p);
  define({
    name: 'jaeger',
    command: bins.jaeger,
    args: ['--config', `file:${join(repo, 'collector', 'jaeger.yaml')}`],
    env: {
      ...baseEnv,
      ...jaegerPortEnv({
        otlpGrpc: ports.jaegerGrpc as number,
        otlpHttp: ports.jaegerHttp as number,
        queryHttp: ports.jaegerQuery as number,
        queryGrpc: ports.jaegerQueryGrpc as number,
        health: ports.jaegerHealth as number,
        metrics: ports.jaegerMetrics as number,
      }),
      FAULTLINE_JAEGER_DATA_DIR: join(dataDir, 'jaeger'),
      FAULTLINE_PROMETHEUS_URL: promUrls[0] ?? `http://${at('promA')}`,
    },
    healthUrl: `http://${at('jaegerHealth')}/status`,
  });
  if (bins.logs) {
    define({
      name: 'victorialogs',
      command: bins.logs,
      args: [`-storageDataPath=${join(dataDir, 'victorialogs')}`, `-httpListenAddr=${at('logs')}`],
      env: baseEnv,
      healthUrl: `http://${at('logs')}/health`,
    });
  }

  const collectors: FleetCollector[] = [];
  const gatewayEndpoints = Array.from({ length: gateways }, (_, i) => at(`c${i}_grpc`));
  for (let i = 0; i < agents + gateways; i++) {
    const tier = i < gateways ? 'gateway' : 'agent';
    const name = tier === 'gateway' ? `gateway-${i + 1}` : `agent-${i - gateways + 1}`;
    const p = (k: (typeof COLLECTOR_PORTS)[number]) => ports[`c${i}_${k}`] as number;
    const storageDir = join(dataDir, name, 'queue');
    const collector: FleetCollector = {
      name,
      tier,
      otlpHttp: `http://127.0.0.1:${p('http')}`,
      otlpGrpc: `127.0.0.1:${p('grpc')}`,
      metricsUrl: `http://127.0.0.1:${p('prom')}/metrics`,
      telemetryUrl: `http://127.0.0.1:${p('telemetry')}/metrics`,
      storageDir,
    };
    collectors.push(collector);
    define({
      name,
      command: bins.collector,
      args: configArgs(fleetConfigFiles(repo, tier)),
      env: {
        ...baseEnv,
        ...collectorPortEnv({
          otlpGrpc: p('grpc'),
          otlpHttp: p('http'),
          health: p('health'),
          zpages: p('zpages'),
          prometheus: p('prom'),
          telemetry: p('telemetry'),
        }),
        FAULTLINE_COLLECTOR_STORAGE_DIR: storageDir,
        FAULTLINE_GATEWAY_ENDPOINTS: `[${gatewayEndpoints.join(', ')}]`,
        FAULTLINE_JAEGER_OTLP_ENDPOINT: at('jaegerGrpc'),
        FAULTLINE_VICTORIALOGS_URL: `http://${at('logs')}`,
        ...(bins.logs ? {} : { FAULTLINE_COLLECTOR_LOGS_EXPORTERS: '[debug]' }),
        FAULTLINE_SPANMETRICS_FLUSH_INTERVAL: `${flush}s`,
        FAULTLINE_SAMPLING_DECISION_WAIT: `${decisionWait}s`,
        ...(options.samplingPercentage !== undefined
          ? { FAULTLINE_SAMPLING_PERCENTAGE: String(options.samplingPercentage) }
          : {}),
      },
      healthUrl: `http://127.0.0.1:${p('health')}/`,
    });
  }

  const notifications: FleetNotification[] = [];
  const servicesFile = join(runDir, 'services.json');
  const targets = new Set(options.serviceTargets ?? []);
  const writeTargets = () => writeServiceTargets(servicesFile, targets);
  writeTargets();
  let webhook: Server | undefined;

  if (alerting && bins.prometheus && bins.alertmanager && bins.vm) {
    define({
      name: 'victoria-metrics',
      command: bins.vm,
      args: [
        `-storageDataPath=${join(dataDir, 'victoria-metrics')}`,
        `-httpListenAddr=${at('vm')}`,
        // The pair writes the same series twice: keep one sample per scrape interval.
        `-dedup.minScrapeInterval=${scrape}s`,
        // Loopback tests read what was just written: no 30 s visibility delay, no result cache.
        '-search.latencyOffset=1s',
        '-search.disableCache',
      ],
      env: baseEnv,
      healthUrl: `http://${at('vm')}/health`,
    });
    const amConfig = join(runDir, 'alertmanager.yml');
    writeFileSync(amConfig, renderAlertmanagerConfig(repo, `http://${at('webhook')}`));
    for (const [n, self, peer] of [
      [1, 'am1', 'am2'],
      [2, 'am2', 'am1'],
    ] as const) {
      define({
        name: `alertmanager-${n}`,
        command: bins.alertmanager,
        args: [
          `--config.file=${amConfig}`,
          `--storage.path=${join(dataDir, `alertmanager-${n}`)}`,
          `--web.listen-address=${at(self)}`,
          `--web.external-url=http://${at(self)}`,
          `--cluster.listen-address=${at(`${self}Cluster`)}`,
          `--cluster.advertise-address=${at(`${self}Cluster`)}`,
          `--cluster.peer=${at(`${peer}Cluster`)}`,
          `--cluster.peer-timeout=${peerTimeout}s`,
        ],
        env: baseEnv,
        healthUrl: `http://${at(self)}/-/ready`,
      });
    }
    const promConfig = join(runDir, 'prometheus.yml');
    writeFileSync(
      promConfig,
      renderFleetPrometheusConfig({
        repo,
        prometheus: [at('promA'), at('promB')],
        alertmanagers: [at('am1'), at('am2')],
        collectorExporters: Object.fromEntries(collectors.map((c) => [c.name, new URL(c.metricsUrl).host])),
        collectorTelemetry: Object.fromEntries(collectors.map((c) => [c.name, new URL(c.telemetryUrl).host])),
        jaegerMetrics: at('jaegerMetrics'),
        servicesFile,
        remoteWriteUrl: `http://${at('vm')}/api/v1/write`,
        scrapeIntervalSeconds: scrape,
      }),
    );
    for (const [member, key] of [
      ['a', 'promA'],
      ['b', 'promB'],
    ] as const) {
      define({
        name: `prometheus-${member}`,
        command: bins.prometheus,
        args: [
          `--config.file=${promConfig}`,
          `--storage.tsdb.path=${join(dataDir, `prometheus-${member}`)}`,
          `--web.listen-address=${at(key)}`,
          '--enable-feature=exemplar-storage',
          '--web.enable-lifecycle',
        ],
        env: baseEnv,
        healthUrl: `http://${at(key)}/-/ready`,
      });
    }
  }

  const start = async (name: string) => {
    const program = programs.get(name);
    if (!program) throw new StackError('FAULTLINE_ERR_STACK_BAD_OPTION', `no fleet program named ${name}`);
    if (program.proc && program.proc.child.exitCode === null && program.proc.child.signalCode === null)
      return;
    program.proc = startProcess(
      name,
      program.command,
      program.args,
      program.env,
      join(runDir, `${name}.log`),
    );
    await waitHealthy(program.proc, program.healthUrl, startTimeout);
  };
  const stopOne = async (name: string, how: 'graceful' | 'kill' = 'graceful') => {
    const proc = programs.get(name)?.proc;
    if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
    if (how === 'graceful') return proc.stop(20_000);
    const exited = new Promise<void>((resolve) => proc.child.once('exit', () => resolve()));
    proc.child.kill('SIGKILL');
    await exited;
  };
  const stop = async () => {
    await Promise.all([...programs.keys()].map((name) => stopOne(name)));
    await new Promise<void>((resolve) => (webhook ? webhook.close(() => resolve()) : resolve()));
  };

  try {
    if (alerting)
      webhook = await startReceiver(ports.webhook as number, notifications, join(runDir, 'alerts.jsonl'));
    // Stores first, then gateways before the agents that route to them, Prometheus last.
    const order = [...programs.keys()].sort((a, b) => rank(a) - rank(b));
    for (const tier of [0, 1, 2, 3, 4]) await Promise.all(order.filter((n) => rank(n) === tier).map(start));
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    runDir,
    agents: collectors.filter((c) => c.tier === 'agent'),
    gateways: collectors.filter((c) => c.tier === 'gateway'),
    urls: {
      jaegerQuery: `http://${at('jaegerQuery')}`,
      ...(bins.logs ? { logs: `http://${at('logs')}` } : {}),
      prometheus: promUrls,
      alertmanagers: alerting ? [`http://${at('am1')}`, `http://${at('am2')}`] : [],
      ...(alerting ? { victoriaMetrics: `http://${at('vm')}` } : {}),
    },
    notifications,
    appEnv(serviceName, metricsPort, agent = 0) {
      const target = collectors.filter((c) => c.tier === 'agent')[agent];
      if (!target)
        throw new StackError('FAULTLINE_ERR_STACK_BAD_OPTION', `no agent ${agent} (the fleet has ${agents})`);
      return appEnv(target.otlpHttp, serviceName, metricsPort);
    },
    addServiceTarget(target) {
      targets.add(target);
      writeTargets();
    },
    programs: () => [...programs.keys()],
    stopProgram: stopOne,
    startProgram: start,
    stop,
  };
}

/** Start order: stores, gateways, agents, Alertmanagers, Prometheus. */
function rank(name: string): number {
  if (name === 'jaeger' || name === 'victorialogs' || name === 'victoria-metrics') return 0;
  if (name.startsWith('gateway-')) return 1;
  if (name.startsWith('agent-')) return 2;
  if (name.startsWith('alertmanager-')) return 3;
  return 4;
}

/** The Alertmanager webhook on loopback: each notification with the node that sent it. */
function startReceiver(port: number, sink: FleetNotification[], file: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= 4 * 1024 * 1024) chunks.push(c);
      });
      req.on('end', () => {
        let payload: FleetNotification['payload'] & { externalURL?: string };
        try {
          payload = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          res.writeHead(400).end();
          return;
        }
        const notification: FleetNotification = {
          receivedAt: Date.now(),
          path: req.url ?? '/',
          alertmanager: String(payload.externalURL ?? ''),
          payload,
        };
        sink.push(notification);
        appendFileSync(file, `${JSON.stringify(notification)}\n`);
        res.writeHead(200).end();
      });
    });
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

export { type FleetTier, fleetConfigFiles, type GatewayResolver } from './fleet-config.js';
export {
  type FleetLoadOptions,
  type FleetLoadResult,
  jaegerSpanIds,
  type SentTrace,
  sendFleetLoad,
  sumCounter,
} from './fleet-load.js';
export { type FleetPrometheusInput, renderFleetPrometheusConfig } from './fleet-render.js';
