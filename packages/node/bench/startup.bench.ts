// Startup time: `--require @faultline/node/register` vs `--require @opentelemetry/auto-instrumentations-node/register`
// with the same instrumentations and exporters, interleaved runs, median wall time. Target: <= +20 ms.
// Both with their full default set (OTEL_NODE_ENABLED_INSTRUMENTATIONS unset: every instrumentation
// but fs and host-metrics), the same set on both sides: ours without its own addition (fastify,
// which the stock register does not have); BENCH_SET=full keeps it (ours then does more),
// BENCH_SET=small names five on both sides. Ours turns Node's compile cache on (compile-cache.ts);
// FAULTLINE_COMPILE_CACHE=false measures it without, BENCH_STOCK_CACHE=1 gives the stock register
// the same cache (NODE_COMPILE_CACHE) so that both sides start from cached code.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, reportMeasured } from '../../../scripts/bench-lib.mjs';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(`${pkg}package.json`);
const ours = `${pkg}dist/register.cjs`;
const upstream = require.resolve('@opentelemetry/auto-instrumentations-node/register');
const app = fileURLToPath(new URL('./fixtures/empty.cjs', import.meta.url));
const set = process.env.BENCH_SET ?? 'same';
const small = set === 'small';
const env: Record<string, string | undefined> = {
  ...process.env,
  OTEL_NODE_ENABLED_INSTRUMENTATIONS: small ? 'http,undici,grpc,pino,express' : undefined,
  OTEL_TRACES_EXPORTER: 'otlp',
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'otlp',
  OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process,serviceinstance',
};

const oursEnv = set === 'same' ? { ...env, OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'fastify' } : env;
const stockEnv =
  process.env.BENCH_STOCK_CACHE === '1'
    ? { ...env, NODE_COMPILE_CACHE: join(tmpdir(), 'node-compile-cache') }
    : env;

function once(preload: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', preload, app], {
    env: preload === ours ? oursEnv : stockEnv,
    stdio: 'ignore',
  });
  if (r.status !== 0) throw new Error(`startup run with ${preload} exited ${r.status}`);
  return performance.now() - t0;
}

const rounds = Number(process.env.BENCH_ROUNDS ?? 21);
const a: number[] = [];
const b: number[] = [];
once(ours);
once(upstream);
for (let i = 0; i < rounds; i++) {
  // Alternate which goes first so neither always gets the warmer cache.
  if (i % 2) {
    a.push(once(upstream));
    b.push(once(ours));
  } else {
    b.push(once(ours));
    a.push(once(upstream));
  }
}
reportMeasured(
  `startup, median of ${rounds} interleaved runs (${
    small
      ? 'http, undici, grpc, pino, express'
      : set === 'full'
        ? "each register's full default set: ours adds fastify"
        : 'the stock default set on both sides'
  }; compile cache: ours ${process.env.FAULTLINE_COMPILE_CACHE === 'false' ? 'off' : 'on'}, stock ${process.env.BENCH_STOCK_CACHE === '1' ? 'on' : 'off'})`,
  'auto-instrumentations-node/register',
  median(a),
  '@faultline/node/register',
  median(b),
  { kind: 'delta-max', value: 20 },
  'ms',
);
