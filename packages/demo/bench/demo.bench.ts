// The demo's healthy path (gateway → inventory over HTTP, gateway → worker over gRPC, three
// processes) under `--require @faultline/node/register` vs under the stock
// `--require @opentelemetry/auto-instrumentations-node/register`, with the same instrumentations
// (OTEL_NODE_ENABLED_INSTRUMENTATIONS), the same exporters (OTLP/HTTP to a local sink that answers
// 200, Prometheus pull) and the same app. Both sets of services run side by side; rounds alternate
// which is measured first; each round is a fixed number of requests at fixed concurrency; the
// figure is the median throughput. Target: ours >= 0.97x the stock register's.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, reportMeasured } from '../../../scripts/bench-lib.mjs';
import { startSink } from './sink.mjs';

type Demo = typeof import('../src/index.js');
type Services = Awaited<ReturnType<Demo['startServices']>>;

const demo = (await import(new URL('../dist/index.js', import.meta.url).href)) as Demo;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1_500);
const CONCURRENCY = 8;
const INSTRUMENTATIONS = 'http,undici,grpc,pino';

async function start(preload: string, label: string, sinkUrl: string): Promise<Services> {
  return demo.startServices({
    preload,
    logDir: mkdtempSync(join(tmpdir(), `faultline-bench-${label}-`)),
    restartWorkerAfterMs: 0,
    telemetryEnv: (service, metricsPort) => ({
      OTEL_SERVICE_NAME: service,
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: INSTRUMENTATIONS,
      OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process,serviceinstance',
      OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
      LOG_LEVEL: 'warn',
    }),
  });
}

/** REQUESTS healthy requests, CONCURRENCY at a time over keep-alive; returns requests per second. */
async function round(services: Services): Promise<number> {
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < REQUESTS) {
      const n = next++;
      const res = await fetch(`${services.gatewayUrl}/orders/ord-${n}`);
      await res.arrayBuffer();
      if (res.status !== 200) failed++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  const seconds = (performance.now() - t0) / 1000;
  if (failed > 0)
    throw new Error(`${failed} of ${REQUESTS} healthy requests failed: the measurement is void`);
  return REQUESTS / seconds;
}

const oursSink = await startSink();
const stockSink = await startSink();
const ours = await start('@faultline/node/register', 'faultline', oursSink.url);
const stock = await start('@opentelemetry/auto-instrumentations-node/register', 'stock', stockSink.url);
try {
  // Warm-up: JIT, connection pools, gRPC channels, exporters' first batches.
  await round(ours);
  await round(stock);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 2) {
      a.push(await round(stock));
      b.push(await round(ours));
    } else {
      b.push(await round(ours));
      a.push(await round(stock));
    }
  }
  // Both must really trace: a register that exported nothing would win for the wrong reason.
  await new Promise((r) => setTimeout(r, 6_000));
  for (const [name, sink] of [
    ['ours', oursSink],
    ['stock', stockSink],
  ] as const) {
    if (sink.traceExports() === 0) throw new Error(`${name}: no trace export reached the sink`);
  }
  reportMeasured(
    `demo healthy path throughput (gateway → inventory HTTP + worker gRPC), median of ${ROUNDS} interleaved rounds of ${REQUESTS} requests x${CONCURRENCY}`,
    'auto-instrumentations-node/register',
    median(a),
    '@faultline/node/register',
    median(b),
    { kind: 'throughput-ratio-min', value: 0.97 },
    'req/s',
  );
} finally {
  await Promise.all([ours.stop(), stock.stop()]);
  oursSink.close();
  stockSink.close();
}
