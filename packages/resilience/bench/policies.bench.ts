// Success path of each @faultline/resilience policy (with its telemetry) vs the same bare cockatiel
// policy, side by side in one process (interleaved rounds, median), under three set-ups in turn:
//   API only        no OpenTelemetry SDK installed (what the instrumentation itself costs);
//   sampled out     the SDK as a service runs it (MeterProvider with a reader, TracerProvider with the
//                   default ParentBased sampler, ALS context manager), inside an incoming request that
//                   head sampling did not keep: no span is recorded;
//   recorded        the same inside a request that was kept: every operation and attempt span is
//                   built. The SDK's span then costs more than the rest of this package, so this
//                   set-up is also compared with cockatiel plus the same spans written by hand.
// Two workloads:
//   dependency call 16 concurrent GETs over keep-alive connections to a node:http server on 127.0.0.1,
//                   each through the policy (what the policies protect in practice, under load: a
//                   throughput figure; one call at a time measures event-loop ping-pong instead, where
//                   any extra microsecond shifts a whole loop turn). Target: >= 0.95x cockatiel's.
//   empty function  `async () => 1`, to show the added cost per call in ns; target: a budget per set-up.
// (`speedup-min` is bench-lib's throughput ratio for times: baseline ns / candidate ns.)
import { Agent, createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as faultline from '@faultline/resilience';
import { context, metrics, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOnSampler,
  NoopSpanProcessor,
  ParentBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import * as cockatiel from 'cockatiel';
import { sideBySide, type Target } from '../../../scripts/bench-lib.mjs';

class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

// The dependency is a node:http server in this process (in a child process the figures swung by
// +-7% from run to run on a 2-core machine, hiding the differences measured here).
const server = createServer((_req, res) => res.end('{"ok":true}'));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
const CONCURRENCY = 16;
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

const dependencyCall = () =>
  new Promise<string>((resolve, reject) => {
    get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(body));
      res.on('error', reject);
    }).on('error', reject);
  });
const emptyFunction = async () => 1;
const concurrently = (policy: Runner) =>
  Promise.all(Array.from({ length: CONCURRENCY }, () => policy.execute(dependencyCall)));

type Kind = 'retry' | 'breaker' | 'timeout' | 'bulkhead' | 'fallback' | 'wrap';
const ALL_KINDS: Kind[] = ['retry', 'breaker', 'timeout', 'bulkhead', 'fallback', 'wrap'];
// BENCH_POLICIES=retry,wrap and BENCH_SETUPS=recorded narrow a run (default: everything).
const only = (variable: string) => process.env[variable]?.split(',').filter(Boolean);
const KINDS = ALL_KINDS.filter((k) => only('BENCH_POLICIES')?.includes(k) ?? true);
const wanted = (setup: string) => only('BENCH_SETUPS')?.some((s) => setup.startsWith(s)) ?? true;
type Runner = { execute(fn: () => Promise<unknown>): Promise<unknown> };

function policies(tag: string): Record<Kind, [Runner, Runner]> {
  const bareBreaker = () =>
    cockatiel.circuitBreaker(cockatiel.handleAll, {
      halfOpenAfter: 10_000,
      breaker: new cockatiel.ConsecutiveBreaker(5),
    });
  const bareRetry = () =>
    cockatiel.retry(cockatiel.handleAll, { maxAttempts: 2, backoff: new cockatiel.ExponentialBackoff() });
  const bareTimeout = () => cockatiel.timeout(10_000, cockatiel.TimeoutStrategy.Aggressive);
  return {
    retry: [bareRetry(), faultline.retry({ name: `bench-retry-${tag}`, maxAttempts: 3 })],
    breaker: [bareBreaker(), faultline.circuitBreaker({ name: `bench-breaker-${tag}` })],
    timeout: [bareTimeout(), faultline.timeout({ ms: 10_000, strategy: 'aggressive' })],
    bulkhead: [cockatiel.bulkhead(100, 0), faultline.bulkhead({ limit: 100 })],
    fallback: [cockatiel.fallback(cockatiel.handleAll, 0), faultline.fallback({ value: 0 })],
    wrap: [
      cockatiel.wrap(bareRetry(), bareBreaker(), bareTimeout()),
      faultline.wrap(
        faultline.retry({ name: `bench-wrap-${tag}` }),
        faultline.circuitBreaker({ name: `bench-wrap-breaker-${tag}` }),
        faultline.timeout({ ms: 10_000 }),
      ),
    ],
  };
}

const THROUGHPUT: Target = { kind: 'speedup-min', value: 0.95 };
/** Added ns per call allowed on an empty function: the SDK's own span creation dominates the last two. */
const OVERHEAD_BUDGET_NS: Record<string, number> = { 'API only': 500, 'sampled out': 1_500, recorded: 8_000 };

/**
 * cockatiel with the spans this package makes, written by hand (an operation span, and for a retry
 * an attempt span under it): what the same traces cost without this package.
 */
function byHand(kind: Kind, policy: Runner): Runner {
  const tracer = trace.getTracer('by-hand');
  const attempt = kind === 'retry' || kind === 'wrap';
  const inAttempt = (fn: () => Promise<unknown>) => () =>
    tracer.startActiveSpan('attempt', (span) => fn().finally(() => span.end()));
  return {
    execute: (fn) =>
      tracer.startActiveSpan('operation', (span) =>
        policy.execute(attempt ? inAttempt(fn) : fn).finally(() => span.end()),
      ),
  };
}

const label = (kind: Kind) => (kind === 'wrap' ? 'wrap(retry, breaker, timeout)' : kind);

async function run(setup: string) {
  if (!wanted(setup)) return;
  const pairs = policies(setup.replace(/\W+/g, '-'));
  const baselines: Array<[string, (kind: Kind, bare: Runner) => Runner]> = [
    ['cockatiel', (_kind, bare) => bare],
  ];
  if (setup === 'recorded') baselines.push(['cockatiel + the same spans by hand', byHand]);
  for (const [baselineName, baselineOf] of baselines) {
    for (const kind of KINDS) {
      const [bare, ours] = pairs[kind];
      const baseline = baselineOf(kind, bare);
      await sideBySide(`${label(kind)}, dependency call [${setup}] vs ${baselineName}`, {
        baseline: [`${baselineName} ${kind}`, () => concurrently(baseline)],
        candidate: [`faultline ${kind}`, () => concurrently(ours)],
        target: THROUGHPUT,
        rounds: 9,
        time: 300,
      });
    }
  }
  for (const kind of KINDS) {
    const [bare, ours] = pairs[kind];
    await sideBySide(`${label(kind)}, empty function [${setup}]`, {
      baseline: [`cockatiel ${kind}`, () => bare.execute(emptyFunction)],
      candidate: [`faultline ${kind}`, () => ours.execute(emptyFunction)],
      target: { kind: 'delta-max', value: OVERHEAD_BUDGET_NS[setup] as number },
    });
  }
}

try {
  await run('API only');

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new PullReader()] }));
  trace.setGlobalTracerProvider(
    new TracerProvider({
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
      spanProcessors: [new NoopSpanProcessor()],
    }),
  );
  const incoming = (traceFlags: TraceFlags) =>
    trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags,
      isRemote: true,
    });
  await context.with(incoming(TraceFlags.NONE), () => run('sampled out'));
  await context.with(incoming(TraceFlags.SAMPLED), () => run('recorded'));
} finally {
  agent.destroy();
  server.close();
}
