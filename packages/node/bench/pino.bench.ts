// pino lines/s with @faultline/node (instrumentation-pino + our err serializer) vs instrumentation-pino
// alone, same SDK pieces and exporters (to an endpoint nobody listens on, batches never due),
// interleaved child processes, median. Target: >= 0.97x.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, reportMeasured } from '../../../scripts/bench-lib.mjs';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const env = {
  ...process.env,
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
  OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pino',
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_BSP_SCHEDULE_DELAY: '600000',
  OTEL_BLRP_SCHEDULE_DELAY: '600000',
  OTEL_BLRP_MAX_QUEUE_SIZE: '2048',
  LINES: process.env.BENCH_LINES ?? '200000',
};

function once(preload: string): number {
  const r = spawnSync(process.execPath, ['--require', preload, `${fixtures}pino-lines.cjs`], {
    env,
    cwd: pkg,
    encoding: 'utf8',
  });
  const n = Number(r.stdout.trim());
  if (r.status !== 0 || !Number.isFinite(n)) throw new Error(`pino run with ${preload} failed: ${r.stderr}`);
  return n;
}

const ours = `${pkg}dist/register.cjs`;
const baseline = `${fixtures}pino-baseline.cjs`;
const rounds = Number(process.env.BENCH_ROUNDS ?? 9);
const a: number[] = [];
const b: number[] = [];
for (let i = 0; i < rounds; i++) {
  if (i % 2) {
    a.push(once(baseline));
    b.push(once(ours));
  } else {
    b.push(once(ours));
    a.push(once(baseline));
  }
}
reportMeasured(
  `pino lines/s in an active span, 1% with err, median of ${rounds} interleaved runs`,
  'instrumentation-pino alone',
  median(a),
  '@faultline/node',
  median(b),
  { kind: 'throughput-ratio-min', value: 0.97 },
  'lines/s',
);
