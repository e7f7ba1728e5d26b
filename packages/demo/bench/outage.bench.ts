// The demo's worker outage with and without the gateway's retry budget (issue 12): the three
// services under @faultline/node/register, a bounded load of healthy requests (every one calls the
// worker over gRPC), the worker crashed a few seconds in and restarted OUTAGE_MS later. Read from the
// gateway's own Prometheus endpoint: calls offered to the worker policy (faultline_retry_attempts_total
// with an outcome other than "retry") and attempts made (all outcomes), and the retries the budget
// refused. Run twice per set-up, budget on (the demo's default: 20% of calls + 1/s) then off,
// under the demo's breaker and with the breaker held closed (it never opens), which shows the
// budget alone. Side by side in one run; loopback only; bounded by RPS x DURATION_S.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSink } from './sink.mjs';

type Demo = typeof import('../src/index.js');
const demo = (await import(new URL('../dist/index.js', import.meta.url).href)) as Demo;

const RPS = Number(process.env.BENCH_OUTAGE_RPS ?? 40);
const DURATION_S = 14;
const CRASH_AT_S = 4;
const OUTAGE_MS = 6_000;

/** Sum of a counter's samples on a Prometheus text page whose labels contain every `match`. */
function sum(page: string, name: string, match: string[], exclude?: string): number {
  let total = 0;
  for (const line of page.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (!match.every((m) => line.includes(m))) continue;
    if (exclude && line.includes(exclude)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

interface Outcome {
  offered: number;
  attempted: number;
  refused: number;
  requests: number;
  ok: number;
}

async function outage(
  budget: 'on' | 'off',
  breaker: 'demo' | 'held closed',
  sinkUrl: string,
): Promise<Outcome> {
  const gatewayEnv: Record<string, string> = { GATEWAY_RETRY_BUDGET: budget };
  if (breaker === 'held closed') {
    gatewayEnv.GATEWAY_BREAKER_KIND = 'consecutive';
    gatewayEnv.GATEWAY_BREAKER_THRESHOLD = '100000';
  }
  const services = await demo.startServices({
    logDir: mkdtempSync(join(tmpdir(), `faultline-bench-outage-${budget}-`)),
    restartWorkerAfterMs: OUTAGE_MS,
    env: { gateway: gatewayEnv },
    telemetryEnv: (service, metricsPort) => ({
      OTEL_SERVICE_NAME: service,
      OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
      LOG_LEVEL: 'warn',
    }),
  });
  try {
    const mix = demo.parseMix('healthy:100');
    if (!mix.ok) throw new Error(mix.message);
    const summary = await demo.runLoad({
      target: services.gatewayUrl,
      rps: RPS,
      durationS: DURATION_S,
      mix: mix.mix,
      crashAtS: CRASH_AT_S,
      progressEveryS: 0,
    });
    if (services.workerExits() !== 1)
      throw new Error(`the worker exited ${services.workerExits()} times, not once`);
    const page = await (await fetch(`http://${services.metricsTargets.gateway}/metrics`)).text();
    const worker = ['policy="worker"'];
    const offered = sum(page, 'faultline_retry_attempts_total', worker, 'outcome="retry"');
    const attempted = sum(page, 'faultline_retry_attempts_total', worker);
    if (offered === 0) throw new Error('the gateway counted no call to the worker: the measurement is void');
    return {
      offered,
      attempted,
      refused: sum(page, 'faultline_retry_budget_refusals_total', []),
      requests: summary.sent,
      ok: summary.ok,
    };
  } finally {
    await services.stop();
  }
}

const sink = await startSink();
try {
  console.log(
    `worker outage: ${RPS} healthy req/s for ${DURATION_S} s, the worker crashed at ${CRASH_AT_S} s and restarted ${OUTAGE_MS / 1000} s later; gateway → worker policy (retry up to 3 attempts, wrapping the breaker)`,
  );
  for (const breaker of ['demo', 'held closed'] as const) {
    const on = await outage('on', breaker, sink.url);
    const off = await outage('off', breaker, sink.url);
    const line = (name: string, o: Outcome) =>
      `    budget ${name}: ${o.offered} calls offered, ${o.attempted} attempts (${(o.attempted / o.offered).toFixed(2)}x), ` +
      `${o.attempted - o.offered} retries, ${o.refused} refused by the budget; ${o.ok}/${o.requests} requests answered 200`;
    console.log(`  breaker ${breaker}:\n${line('on ', on)}\n${line('off', off)}`);
    console.log(
      `    retries with the budget / without: ${on.attempted - on.offered}/${off.attempted - off.offered} = ${((on.attempted - on.offered) / Math.max(1, off.attempted - off.offered)).toFixed(2)}x`,
    );
  }
} finally {
  sink.close();
}
