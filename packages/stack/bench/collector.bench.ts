// pnpm bench collector: drives the collector with a bounded OTLP/HTTP span load on loopback and
// reports accepted spans/s, refused spans and peak memory, for Faultline's pipeline
// (collector/otelcol.yaml, exporting to a real Jaeger) and, side by side, a receive-batch-drop
// baseline of the same binary. Bounded: a fixed duration per round, 127.0.0.1 only.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, repoRoot, requireTool, startProcess, waitHealthy } from '@faultline/stack';
import { median } from '../../../scripts/bench-lib.mjs';

const SECONDS = Number(process.env.BENCH_COLLECTOR_SECONDS ?? 6);
const SPANS_PER_REQUEST = 100;
const CONCURRENCY = 4;
const ROUNDS = 3;

// 10 traces of 10 spans per request: a realistic trace size for the tail sampler's buffers.
function payload(): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  const traceIds = Array.from({ length: SPANS_PER_REQUEST / 10 }, () => randomBytes(16).toString('hex'));
  const spans = Array.from({ length: SPANS_PER_REQUEST }, (_, i) => ({
    traceId: traceIds[Math.floor(i / 10)],
    spanId: randomBytes(8).toString('hex'),
    name: i % 10 === 0 ? 'POST /checkout' : 'GET /orders/:id',
    kind: 2,
    startTimeUnixNano: String(now - 3_000_000n),
    endTimeUnixNano: String(now),
    attributes: [
      { key: 'http.response.status_code', value: { intValue: i % 10 === 0 ? 503 : 200 } },
      { key: 'url.path', value: { stringValue: '/orders/42' } },
      ...(i % 10 === 0
        ? [
            { key: 'error.type', value: { stringValue: 'service_unavailable' } },
            { key: 'faultline.error.category', value: { stringValue: 'resource' } },
          ]
        : []),
    ],
    status: { code: i % 10 === 0 ? 2 : 1 },
  }));
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bench' } }] },
        scopeSpans: [{ scope: { name: 'bench' }, spans }],
      },
    ],
  });
}

/** Posts for SECONDS, as fast as the collector answers or paced to `rate` spans/s. */
async function drive(
  url: string,
  rate?: number,
): Promise<{ accepted: number; failed: number; seconds: number }> {
  const bodies = Array.from({ length: 32 }, payload);
  const deadline = Date.now() + SECONDS * 1000;
  const start = Date.now();
  const perWorkerIntervalMs = rate ? (CONCURRENCY * SPANS_PER_REQUEST * 1000) / rate : 0;
  let accepted = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      let n = worker;
      let next = Date.now();
      while (Date.now() < deadline) {
        if (perWorkerIntervalMs > 0) {
          next += perWorkerIntervalMs;
          const wait = next - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: bodies[n++ % bodies.length],
        });
        await res.arrayBuffer();
        if (res.ok) accepted += SPANS_PER_REQUEST;
        else failed += SPANS_PER_REQUEST;
      }
    }),
  );
  return { accepted, failed, seconds: (Date.now() - start) / 1000 };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) sum += Number(line.split(' ').pop());
  return sum;
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

interface Result {
  spansPerSecond: number;
  refused: number;
  failed: number;
  peakMiB: number;
}

async function runCollector(config: string, withJaeger: boolean, rate?: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'fl-bench-collector-'));
  const ports = {
    http: await freePort(),
    grpc: await freePort(),
    health: await freePort(),
    telemetry: await freePort(),
    prom: await freePort(),
    zpages: await freePort(),
    jaegerGrpc: await freePort(),
    jaegerHttp: await freePort(),
    jaegerQuery: await freePort(),
    jaegerQueryGrpc: await freePort(),
    jaegerHealth: await freePort(),
    jaegerMetrics: await freePort(),
  };
  const env = {
    PATH: process.env.PATH,
    FAULTLINE_BIND_HOST: '127.0.0.1',
    FAULTLINE_COLLECTOR_OTLP_HTTP_PORT: String(ports.http),
    FAULTLINE_COLLECTOR_OTLP_GRPC_PORT: String(ports.grpc),
    FAULTLINE_COLLECTOR_HEALTH_PORT: String(ports.health),
    FAULTLINE_COLLECTOR_TELEMETRY_PORT: String(ports.telemetry),
    FAULTLINE_COLLECTOR_PROMETHEUS_PORT: String(ports.prom),
    FAULTLINE_COLLECTOR_ZPAGES_PORT: String(ports.zpages),
    FAULTLINE_COLLECTOR_LOG_LEVEL: 'warn',
    FAULTLINE_JAEGER_OTLP_ENDPOINT: `127.0.0.1:${ports.jaegerGrpc}`,
    FAULTLINE_JAEGER_OTLP_GRPC_PORT: String(ports.jaegerGrpc),
    FAULTLINE_JAEGER_OTLP_HTTP_PORT: String(ports.jaegerHttp),
    FAULTLINE_JAEGER_QUERY_HTTP_PORT: String(ports.jaegerQuery),
    FAULTLINE_JAEGER_QUERY_GRPC_PORT: String(ports.jaegerQueryGrpc),
    FAULTLINE_JAEGER_HEALTH_PORT: String(ports.jaegerHealth),
    FAULTLINE_JAEGER_METRICS_PORT: String(ports.jaegerMetrics),
    FAULTLINE_JAEGER_LOG_LEVEL: 'warn',
  };
  const procs = [];
  try {
    if (withJaeger) {
      const jaeger = startProcess(
        'jaeger',
        requireTool('jaeger'),
        ['--config', `file:${join(repoRoot(), 'collector', 'jaeger.yaml')}`],
        env,
        join(dir, 'jaeger.log'),
      );
      procs.push(jaeger);
      await waitHealthy(jaeger, `http://127.0.0.1:${ports.jaegerHealth}/status`, 60_000);
    }
    const collector = startProcess(
      'collector',
      requireTool('collector'),
      ['--config', `file:${config}`],
      env,
      join(dir, 'collector.log'),
    );
    procs.push(collector);
    await waitHealthy(collector, `http://127.0.0.1:${ports.health}/`, 60_000);
    const load = await drive(`http://127.0.0.1:${ports.http}/v1/traces`, rate);
    const refused = await metric(
      `http://127.0.0.1:${ports.telemetry}/metrics`,
      'otelcol_receiver_refused_spans',
    );
    return {
      spansPerSecond: load.accepted / load.seconds,
      refused,
      failed: load.failed,
      peakMiB: peakRssMiB(collector.child.pid!),
    };
  } finally {
    for (const p of procs.reverse()) await p.stop();
  }
}

const ours: Result[] = [];
const base: Result[] = [];
const faultlineConfig = join(repoRoot(), 'collector', 'otelcol.yaml');
const baselineConfig = fileURLToPath(new URL('./otelcol-baseline.yaml', import.meta.url));
for (let round = 0; round < ROUNDS; round++) {
  base.push(await runCollector(baselineConfig, false));
  ours.push(await runCollector(faultlineConfig, true));
}
const pick = (rs: Result[], k: keyof Result) => median(rs.map((r) => r[k]));
console.log(
  `collector, ${SECONDS}s x ${ROUNDS} rounds, ${CONCURRENCY} concurrent OTLP/HTTP JSON posts of ${SPANS_PER_REQUEST} spans:\n` +
    `  faultline pipeline: ${pick(ours, 'spansPerSecond').toFixed(0)} spans/s, refused ${Math.max(...ours.map((r) => r.refused))}, failed requests' spans ${Math.max(...ours.map((r) => r.failed))}, peak RSS ${pick(ours, 'peakMiB').toFixed(0)} MiB\n` +
    `  baseline (receive, batch, drop): ${pick(base, 'spansPerSecond').toFixed(0)} spans/s, refused ${Math.max(...base.map((r) => r.refused))}, peak RSS ${pick(base, 'peakMiB').toFixed(0)} MiB`,
);
// No target: the ratio says what scrubbing, span metrics, tail sampling and the Jaeger export cost.
console.log(
  `      faultline pipeline / baseline ceiling: ${(pick(ours, 'spansPerSecond') / pick(base, 'spansPerSecond')).toFixed(2)}x`,
);

// The sustainable rate: the highest paced load at which the pipeline refuses nothing.
let sustained: { rate: number; result: Result } | undefined;
for (const rate of [10_000, 20_000, 40_000, 60_000, 80_000]) {
  const result = await runCollector(faultlineConfig, true, rate);
  const clean = result.refused === 0 && result.failed === 0 && result.spansPerSecond >= rate * 0.9;
  console.log(
    `  paced ${rate} spans/s: accepted ${result.spansPerSecond.toFixed(0)}/s, refused ${result.refused}, peak RSS ${result.peakMiB.toFixed(0)} MiB${clean ? '' : '  <- not sustained'}`,
  );
  if (!clean) break;
  sustained = { rate, result };
}
console.log(
  sustained
    ? `PASS  faultline pipeline sustains ${sustained.rate} spans/s with zero refused, holding ${sustained.result.peakMiB.toFixed(0)} MiB at peak`
    : 'MISS  faultline pipeline refused spans even at 10000 spans/s',
);
