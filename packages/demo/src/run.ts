// The one-command demo (scripts/demo.sh runs this): the local pipeline, the three services under
// `--require @faultline/node/register`, a bounded load with faults, then where to look.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  explainTrace,
  logsUiLink,
  missingTools,
  type RunningStack,
  repoRoot,
  startStack,
} from '@faultline/stack';
import { clampLoad, formatSummary, LIMITS, type LoadSummary, runLoad } from './loadgen.js';
import { DEFAULT_MIX, parseMix } from './mix.js';
import { prometheusReport, traceUrl, waitForTrace } from './report.js';
import {
  type RunningServices,
  SERVICE_NAMES,
  type ServiceName,
  serviceFile,
  startServices,
} from './services.js';

const USAGE = `bash scripts/demo.sh [--duration S] [--rps N] [--keep] [--mix SPEC] [--crash-at S] [--outage-at S] [--console]
  --duration S    load duration in seconds (default 30, at most ${LIMITS.maxDurationS})
  --rps N         requests per second (default 20, at most ${LIMITS.maxRps})
  --keep          keep everything running after the load until Ctrl-C, to explore
  --mix SPEC      fault mix, name:weight,... (default ${DEFAULT_MIX})
  --crash-at S    the worker crashes this many seconds in (default 40% of the duration; 0: never)
  --outage-at S   the inventory stops listening this many seconds in (default 70%; 0: never)
  --console       skip the pipeline: console exporters only`;

const say = (line = '') => console.log(line);
const banner = (title: string) => say(`\n== ${title} ${'='.repeat(Math.max(0, 72 - title.length))}`);

function consoleEnv(service: ServiceName, metricsPort: number): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: service,
    OTEL_TRACES_EXPORTER: 'console',
    OTEL_LOGS_EXPORTER: 'console',
    // Metrics stay local: each service still serves /metrics for curl.
    OTEL_METRICS_EXPORTER: 'prometheus',
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
  };
}

/** Lets `faultline explain` and `faultline-stack status|down` find this run's pipeline (unless another runs). */
function claimStateFile(stack: RunningStack): string | undefined {
  const dir = process.env.FAULTLINE_STACK_DIR ?? join(repoRoot(), '.run', 'stack');
  const file = join(dir, 'state.json');
  try {
    if (existsSync(file)) {
      const { pid } = JSON.parse(readFileSync(file, 'utf8')) as { pid?: number };
      if (typeof pid === 'number') {
        try {
          process.kill(pid, 0);
          return undefined; // a live `faultline-stack up` owns it
        } catch {
          // stale: take it over
        }
      }
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      file,
      JSON.stringify({ pid: process.pid, urls: stack.urls, runDir: stack.runDir }, null, 2),
    );
    return file;
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      rps: { type: 'string' },
      keep: { type: 'boolean' },
      mix: { type: 'string' },
      'crash-at': { type: 'string' },
      'outage-at': { type: 'string' },
      console: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    say(USAGE);
    return 0;
  }
  const number = (raw: string | undefined, name: string, fallback: number) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number; got ${raw}`);
    return n;
  };
  const { rps, durationS } = clampLoad(
    number(values.rps, 'rps', 20),
    number(values.duration, 'duration', 30),
  );
  const mix = parseMix(values.mix ?? DEFAULT_MIX);
  if (!mix.ok) throw new Error(`--mix: ${mix.message}`);
  const crashAtS = number(values['crash-at'], 'crash-at', durationS >= 10 ? Math.round(durationS * 0.4) : 0);
  const outageAtS = number(
    values['outage-at'],
    'outage-at',
    durationS >= 10 ? Math.round(durationS * 0.7) : 0,
  );
  for (const name of SERVICE_NAMES) {
    if (!existsSync(serviceFile(name)))
      throw new Error(`${serviceFile(name)} is missing: run \`pnpm build\` first`);
  }

  const runDir = join(repoRoot(), '.run', 'demo');
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const interrupted = new AbortController();
  process.once('SIGINT', () => interrupted.abort());
  process.once('SIGTERM', () => interrupted.abort());

  let stack: RunningStack | undefined;
  let services: RunningServices | undefined;
  let stateFile: string | undefined;
  try {
    banner('pipeline');
    const missing = missingTools(['collector', 'jaeger', 'victoria-logs', 'prometheus', 'alertmanager']);
    if (values.console) say('--console: not starting the pipeline.');
    else if (missing.length > 0) {
      say(
        `!! The pipeline tools are missing (${missing.join(', ')}): scripts/setup-tools.sh did not install them.`,
      );
    } else {
      say(
        `starting the collector, Jaeger, VictoriaLogs, Prometheus and Alertmanager on loopback (logs in ${runDir}/stack) …`,
      );
      try {
        stack = await startStack({ runDir: join(runDir, 'stack') });
        stateFile = claimStateFile(stack);
        say(
          `  Jaeger API  ${stack.urls.jaegerQuery}   Prometheus ${stack.urls.prometheus}   Alertmanager ${stack.urls.alertmanager}`,
        );
        say(`  Logs UI     ${stack.urls.logsUi}  (VictoriaLogs: every service's log lines, by trace_id)`);
      } catch (e) {
        say(`!! The pipeline did not start: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    if (!stack) {
      say('!! RUNNING WITHOUT THE PIPELINE: spans and logs go to the console exporters, i.e. to the');
      say(
        `!! services' logs in ${runDir}/logs; metrics are on each service's /metrics. No Jaeger, no alerts.`,
      );
    }
    if (interrupted.signal.aborted) return 130;

    banner('services');
    const logDir = join(runDir, 'logs');
    services = await startServices({
      telemetryEnv: stack ? (name, port) => stack!.appEnv(name, port) : consoleEnv,
      logDir,
      onEvent: (message) => say(`  ! ${message}`),
    });
    for (const target of Object.values(services.metricsTargets)) stack?.addServiceTarget(target);
    say(`  gateway   ${services.gatewayUrl}  (try ${services.gatewayUrl}/orders/ord-1?fault=execution)`);
    say(`  worker    ${services.workerAddress} (gRPC)   inventory ${services.inventoryUrl}`);
    say(
      `  metrics   ${SERVICE_NAMES.map((n) => `${n} http://${services!.metricsTargets[n]}/metrics`).join('  ')}`,
    );
    say(`  logs      ${logDir}/{gateway,worker,inventory}.log (pino JSON with trace_id)`);

    banner(`load: ${rps} rps for ${durationS} s`);
    if (crashAtS > 0)
      say(`  the worker crashes at ${crashAtS} s (and is restarted 3 s later): watch the breaker`);
    if (outageAtS > 0) say(`  the inventory stops listening at ${outageAtS} s for 3 s`);
    const summary: LoadSummary = await runLoad({
      target: services.gatewayUrl,
      rps,
      durationS,
      mix: mix.mix,
      crashAtS,
      outageAtS,
      progressEveryS: durationS > 60 ? 5 : 2,
      signal: interrupted.signal,
      onProgress: (line) => say(`  ${line}`),
    });
    banner('summary');
    say(formatSummary(summary));

    banner('where to look');
    const id = summary.failing?.correlationId;
    if (stack) {
      if (id) {
        say(`One failing request (correlation ID = trace ID ${id}):`);
        say(`  Jaeger API: ${traceUrl(stack.urls.jaegerQuery, id)}`);
        say(`  Logs UI:    ${logsUiLink(stack.urls.logs, id, Date.now())}`);
        say(
          `  explain:    pnpm -C packages/demo exec faultline explain ${id} --jaeger ${stack.urls.jaegerQuery} --logs ${stack.urls.logs}`,
        );
        if (await waitForTrace(stack.urls.jaegerQuery, id, 30_000)) {
          const explained = await explainTrace(id, stack.urls.jaegerQuery, { logsUrl: stack.urls.logs });
          say('');
          say(explained.output.replace(/^/gm, '  '));
        } else say('  (the trace has not reached Jaeger yet; try the command above in a few seconds)');
      }
      // Let Prometheus scrape the last errors before reading them back.
      await new Promise((r) => setTimeout(r, 4_000));
      say('');
      say(await prometheusReport(stack.urls.prometheus));
      say(
        `Alertmanager: ${stack.urls.alertmanager}/#/alerts (${stack.alerts.length} notification(s) delivered to the demo's webhook)`,
      );
    } else {
      say("No pipeline: the spans are in the services' logs (console exporter).");
      if (id) say(`  one failing request: grep ${id} ${logDir}/*.log`);
      say(
        `  errors counter: curl -s http://${services.metricsTargets.gateway}/metrics | grep faultline_errors_total`,
      );
    }

    if (values.keep && !interrupted.signal.aborted) {
      banner('running until Ctrl-C');
      if (stack)
        say('`faultline explain <id>` finds this Jaeger and VictoriaLogs by itself while the demo runs.');
      say(`Send your own requests: curl -i '${services.gatewayUrl}/orders/ord-7?fault=not_found'`);
      await new Promise<void>((resolve) => interrupted.signal.addEventListener('abort', () => resolve()));
    }
    return interrupted.signal.aborted && !values.keep ? 130 : 0;
  } finally {
    banner('stopping');
    await services?.stop();
    await stack?.stop();
    if (stateFile) rmSync(stateFile, { force: true });
    say('all demo processes stopped.');
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`demo: ${(e as Error).message}`);
    process.exit(1);
  },
);
