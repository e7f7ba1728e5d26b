// pino lines/s with @faultline/node (instrumentation-pino + our err serializer) vs instrumentation-pino
// alone, same SDK pieces and exporters (to a closed port, batches never due). Each child warms up,
// then reports the median of several timed stretches; children run in interleaved pairs whose order
// alternates (ABBA), and the verdict is on the median of the per-pair ratios, so that a change in
// machine load hits both sides of a pair alike. Target: >= 0.97x.
// Knobs: BENCH_ROUNDS (pairs, default 15), BENCH_LINES, ERR_EVERY, ERR_REUSE=1 (log one error object
// over and over instead of a new one per line).
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
const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
// One discarded pair: the first children also warm the file cache for the module loads.
once(ours);
once(baseline);
const a: number[] = [];
const b: number[] = [];
const ratios: number[] = [];
for (let i = 0; i < rounds; i++) {
  let base: number;
  let cand: number;
  if (i % 2) {
    base = once(baseline);
    cand = once(ours);
  } else {
    cand = once(ours);
    base = once(baseline);
  }
  a.push(base);
  b.push(cand);
  ratios.push(cand / base);
}
const sorted = [...ratios].sort((x, y) => x - y);
const quartile = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const errEvery = Number(process.env.ERR_EVERY ?? 100);
const mix =
  errEvery > 0
    ? `1 line in ${errEvery} with ${process.env.ERR_REUSE === '1' ? 'the same' : 'a new'} err`
    : 'no err';
reportMeasured(
  `pino lines/s in an active span, ${mix}; medians of ${rounds} interleaved pairs`,
  'instrumentation-pino alone',
  median(a),
  '@faultline/node',
  median(b),
  { kind: 'throughput-ratio-min', value: 0.97 },
  'lines/s',
);
reportMeasured(
  `  the same, as the median of the per-pair ratios (interquartile ${quartile(0.25).toFixed(3)}–${quartile(0.75).toFixed(3)})`,
  'ratio of a pair, baseline',
  1,
  'ratio of a pair, @faultline/node',
  median(ratios),
  { kind: 'throughput-ratio-min', value: 0.97 },
  'x',
);
