// pnpm bench collector (this file runs with collector.bench.ts): log records per second through
// Faultline's logs pipeline (collector/otelcol.yaml: scrubbing, batch, OTLP/HTTP protobuf to a real
// VictoriaLogs) against a receive-batch-drop baseline of the same binary, side by side, with
// telemetrygen (the collector-contrib load generator) as the external client. Every record carries
// a secret in its body; the bench prints how many reached the store (must be 0). Bounded: a fixed
// duration per round, 127.0.0.1 only.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requireTool, startProcess, startStack, waitHealthy } from '@faultline/stack';
import { metricSum } from './prom-text.mjs';

const SECONDS = Number(process.env.BENCH_COLLECTOR_SECONDS ?? 6);
const WORKERS = 2;
const SECRET = 'hunter2-bench-secret';

// The same binary with the thinnest logs pipeline: receive, batch, drop.
const BASELINE = `
extensions:
  health_check:
    endpoint: 127.0.0.1:\${env:FAULTLINE_COLLECTOR_HEALTH_PORT}
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:\${env:FAULTLINE_COLLECTOR_OTLP_HTTP_PORT}
processors:
  batch: {}
exporters:
  debug:
    verbosity: basic
    sampling_initial: 1
    sampling_thereafter: 100000
service:
  extensions: [health_check]
  telemetry:
    logs:
      level: warn
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: \${env:FAULTLINE_COLLECTOR_TELEMETRY_PORT}
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [debug]
`;

/** telemetrygen logs, unthrottled, for SECONDS; returns the wall time it ran. */
function load(otlpHttpPort: number): number {
  const start = Date.now();
  const r = spawnSync(
    requireTool('telemetrygen'),
    [
      'logs',
      '--otlp-http',
      '--otlp-insecure',
      `--otlp-endpoint=127.0.0.1:${otlpHttpPort}`,
      `--workers=${WORKERS}`,
      '--rate=0',
      `--duration=${SECONDS}s`,
      `--body=payment declined for order 42 password=${SECRET} retry later`,
      '--severity-text=Error',
      '--severity-number=17',
      '--otlp-attributes=service.name="bench-logs"',
      '--telemetry-attributes=faultline.error.code="payment_declined"',
    ],
    { encoding: 'utf8', timeout: (SECONDS + 60) * 1000 },
  );
  if (r.status !== 0) throw new Error(`telemetrygen failed: ${r.stderr.slice(-2000)}`);
  return (Date.now() - start) / 1000;
}

async function logsQl(url: string, query: string): Promise<number> {
  const res = await fetch(
    `${url}/select/logsql/query?query=${encodeURIComponent(`${query} | stats count() as n`)}`,
  );
  const line = (await res.text()).trim().split('\n')[0] ?? '{}';
  return Number((JSON.parse(line) as { n?: string }).n ?? 0);
}

async function full(): Promise<{
  accepted: number;
  stored: number;
  leaked: number;
  redacted: number;
  seconds: number;
}> {
  const stack = await startStack({ runDir: mkdtempSync(join(tmpdir(), 'faultline-bench-logs-')) });
  try {
    const seconds = load(stack.ports.otlpHttp);
    const telemetry = stack.urls.collectorTelemetry;
    const accepted = await metricSum(telemetry, 'otelcol_receiver_accepted_log_records');
    // Wait (bounded) for the batch and the exporter queue to drain into the store.
    const deadline = Date.now() + 60_000;
    let sent = 0;
    while (Date.now() < deadline) {
      sent = await metricSum(telemetry, 'otelcol_exporter_sent_log_records', 'otlp_http/victorialogs');
      if (sent >= accepted) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await fetch(`${stack.urls.logs}/internal/force_flush`).catch(() => undefined);
    let stored = 0;
    while (Date.now() < deadline) {
      stored = await logsQl(stack.urls.logs, 'service.name:"bench-logs"');
      if (stored >= sent) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    // The secret as a phrase anywhere in the message, and the scrubbed form as the control that
    // the query can match at all.
    const leaked = await logsQl(stack.urls.logs, `"${SECRET}"`);
    const redacted = await logsQl(stack.urls.logs, '"password=[REDACTED]"');
    return { accepted, stored, leaked, redacted, seconds };
  } finally {
    await stack.stop();
  }
}

async function baseline(): Promise<{ accepted: number; seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-logs-base-'));
  const config = join(dir, 'otelcol-logs-baseline.yaml');
  writeFileSync(config, BASELINE);
  const ports = { http: await freePort(), health: await freePort(), telemetry: await freePort() };
  const collector = startProcess(
    'collector',
    requireTool('collector'),
    ['--config', `file:${config}`],
    {
      PATH: process.env.PATH,
      FAULTLINE_COLLECTOR_OTLP_HTTP_PORT: String(ports.http),
      FAULTLINE_COLLECTOR_HEALTH_PORT: String(ports.health),
      FAULTLINE_COLLECTOR_TELEMETRY_PORT: String(ports.telemetry),
    },
    join(dir, 'collector.log'),
  );
  try {
    await waitHealthy(collector, `http://127.0.0.1:${ports.health}/`, 60_000);
    const seconds = load(ports.http);
    const accepted = await metricSum(
      `http://127.0.0.1:${ports.telemetry}/metrics`,
      'otelcol_receiver_accepted_log_records',
    );
    return { accepted, seconds };
  } finally {
    await collector.stop();
  }
}

const rounds = Number(process.env.BENCH_COLLECTOR_ROUNDS ?? 2);
const ratios: number[] = [];
console.log(
  `logs pipeline vs receive-batch-drop, telemetrygen ${WORKERS} workers unthrottled, ${SECONDS} s per side, ${rounds} rounds`,
);
for (let i = 0; i < rounds; i++) {
  const b = await baseline();
  const f = await full();
  const baseRate = b.accepted / b.seconds;
  const fullRate = f.stored / f.seconds;
  ratios.push(fullRate / baseRate);
  console.log(
    `  round ${i + 1}: baseline ${Math.round(baseRate)} records/s accepted; ` +
      `otelcol.yaml ${Math.round(f.accepted / f.seconds)} records/s accepted, ${Math.round(fullRate)} records/s stored in VictoriaLogs ` +
      `(${f.stored}/${f.accepted} stored, ${f.leaked} with the secret, ${f.redacted} scrubbed) → ${(fullRate / baseRate).toFixed(2)}×`,
  );
  if (f.leaked !== 0) {
    console.error('a secret reached the log store');
    process.exitCode = 1;
  }
}
ratios.sort((a, b) => a - b);
console.log(
  `  stored-in-VictoriaLogs / baseline-accepted: median ${ratios[Math.floor(ratios.length / 2)]?.toFixed(2)}×`,
);
