import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderPrometheusConfig } from './render.js';
import { startStack } from './stack.js';
import { cacheDir, findTool, missingTools, repoRoot, type ToolName } from './tools.js';
import { StackError } from './usage-error.js';

const USAGE = `faultline-stack <command>
  install   build/install the collector, Jaeger, VictoriaLogs, Prometheus and Alertmanager
            (scripts/setup-tools.sh)
  up        start them on loopback (free ports), print the URLs, run until Ctrl-C; the stores keep
            their data in FAULTLINE_STACK_DATA (default <cache>/stack-data) across runs
  down      stop a stack started by \`up\`
  status    show whether the programs of a running stack answer
  which TOOL            print where TOOL is (collector, jaeger, victoria-logs, prometheus, promtool,
                        alertmanager, amtool): $FAULTLINE_CACHE/bin first, then PATH; exit 1 when missing
  render-prometheus OUT write prometheus/prometheus.yml rendered for loopback, as \`up\` renders it
                        (the compose ports; services from OUT's folder/services.json)
Environment: FAULTLINE_STACK_DIR (run folder, default <repo>/.run/stack), FAULTLINE_STACK_DATA (the
stores' data, default <cache>/stack-data), FAULTLINE_TRACES_RETENTION (72h), FAULTLINE_LOGS_RETENTION
(7d), FAULTLINE_METRICS_RETENTION (15d), FAULTLINE_CACHE (tools cache).`;

const TOOLS: ToolName[] = [
  'collector',
  'jaeger',
  'victoria-logs',
  'prometheus',
  'promtool',
  'alertmanager',
  'amtool',
];

/** The ports prometheus/prometheus.yml names for compose, for a rendering outside a running stack. */
const COMPOSE_PORTS = {
  prometheus: 9090,
  alertmanager: 9093,
  collectorPrometheus: 8889,
  collectorTelemetry: 8888,
  jaegerMetrics: 14269,
};

function runDir(): string {
  return process.env.FAULTLINE_STACK_DIR ?? join(repoRoot(), '.run', 'stack');
}

/** The stores' data: kept across `up` runs (the run folder is not). */
function dataDir(): string {
  return process.env.FAULTLINE_STACK_DATA ?? join(cacheDir(), 'stack-data');
}

/** A health path per URL name, where the URL itself is not one. */
const PROBES: Record<string, string> = {
  prometheus: '/-/ready',
  alertmanager: '/-/ready',
  logs: '/health',
};

interface State {
  pid: number;
  urls: Record<string, string>;
  runDir: string;
}

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  switch (command) {
    case 'install': {
      const r = spawnSync('bash', [join(repoRoot(), 'scripts', 'setup-tools.sh')], { stdio: 'inherit' });
      return r.status ?? 1;
    }
    case 'up': {
      const missing = missingTools(TOOLS);
      if (missing.length > 0) {
        console.error(
          `missing: ${missing.join(', ')}. Run \`faultline-stack install\` (scripts/setup-tools.sh) first.`,
        );
        return 1;
      }
      const dir = runDir();
      rmSync(dir, { recursive: true, force: true });
      const data = dataDir();
      console.log(`starting the pipeline on loopback (logs in ${dir}, data in ${data}) …`);
      const env = process.env;
      const stack = await startStack({
        runDir: dir,
        dataDir: data,
        retention: {
          ...(env.FAULTLINE_TRACES_RETENTION ? { traces: env.FAULTLINE_TRACES_RETENTION } : {}),
          ...(env.FAULTLINE_LOGS_RETENTION ? { logs: env.FAULTLINE_LOGS_RETENTION } : {}),
          ...(env.FAULTLINE_METRICS_RETENTION ? { metrics: env.FAULTLINE_METRICS_RETENTION } : {}),
        },
      });
      const state: State = { pid: process.pid, urls: stack.urls, runDir: dir };
      writeFileSync(join(dir, 'state.json'), JSON.stringify(state, null, 2));
      for (const [name, url] of Object.entries(stack.urls)) console.log(`  ${name.padEnd(18)} ${url}`);
      console.log('Ctrl-C stops everything.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await stack.stop();
      rmSync(join(dir, 'state.json'), { force: true });
      return 0;
    }
    case 'down': {
      const state = readState();
      if (!state) {
        console.log('no stack is running');
        return 0;
      }
      try {
        process.kill(state.pid, 'SIGTERM');
      } catch {
        rmSync(join(state.runDir, 'state.json'), { force: true });
      }
      console.log(`stopping the stack (pid ${state.pid})`);
      return 0;
    }
    case 'status': {
      const state = readState();
      if (!state) {
        console.log('no stack is running');
        return 1;
      }
      let ok = true;
      for (const [name, url] of Object.entries(state.urls)) {
        const probe = `${url}${PROBES[name] ?? ''}`;
        const up = await fetch(probe, { signal: AbortSignal.timeout(2_000) }).then(
          (r) => r.status < 500,
          () => false,
        );
        ok &&= up;
        console.log(`  ${up ? 'up  ' : 'DOWN'} ${name.padEnd(18)} ${url}`);
      }
      return ok ? 0 : 1;
    }
    case 'which': {
      const tool = argv[1] as ToolName;
      if (!TOOLS.includes(tool)) {
        console.error(`which needs one of ${TOOLS.join(', ')}\n\n${USAGE}`);
        return 2;
      }
      const found = findTool(tool);
      if (found === undefined) {
        console.error(`${tool} is not installed; run \`faultline-stack install\` (scripts/setup-tools.sh)`);
        return 1;
      }
      console.log(found);
      return 0;
    }
    case 'render-prometheus': {
      const out = argv[1];
      if (out === undefined) {
        console.error(`render-prometheus needs an output file\n\n${USAGE}`);
        return 2;
      }
      const text = renderPrometheusConfig({
        repo: repoRoot(),
        ports: COMPOSE_PORTS,
        servicesFile: join(dirname(out), 'services.json'),
        scrapeIntervalSeconds: 2,
        evaluationIntervalSeconds: 2,
      });
      writeFileSync(out, text);
      return 0;
    }
    default:
      console.log(USAGE);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

function readState(): State | undefined {
  const file = join(runDir(), 'state.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as State;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof StackError ? e.message : e);
    process.exit(1);
  },
);
