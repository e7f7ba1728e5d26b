// pino lines/s with @faultline/node (instrumentation-pino + our err serializer) vs instrumentation-pino
// alone, same SDK pieces and exporters (to a closed port, batches never due). Each child warms up,
// then reports the median of several timed stretches (fixtures/pino-lines.cjs). Target: >= 0.97x.
// Knobs: BENCH_ROUNDS (pairs, default 15), BENCH_LINES, ERR_EVERY (0: no err), ERR_REUSE=1 (log one
// error object over and over instead of a new one per err line).
import { fileURLToPath } from 'node:url';
import { comparePairs, runChild } from './pairs.mjs';

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
const lines = (preload: string) => () =>
  runChild(['--require', preload, `${fixtures}pino-lines.cjs`], env, pkg);

const errEvery = Number(process.env.ERR_EVERY ?? 100);
const mix =
  errEvery > 0
    ? `1 line in ${errEvery} with ${process.env.ERR_REUSE === '1' ? 'the same' : 'a new'} err`
    : 'no err';
comparePairs({
  title: `pino lines/s in an active span, ${mix}`,
  unit: 'lines/s',
  baseline: ['instrumentation-pino alone', lines(`${fixtures}pino-baseline.cjs`)],
  candidate: ['@faultline/node', lines(`${pkg}dist/register.cjs`)],
  target: 0.97,
  rounds: Number(process.env.BENCH_ROUNDS ?? 15),
});
