// pnpm bench collector: drives the collector with a bounded OTLP/HTTP span load on loopback and
// reports accepted spans/s, refused spans and peak memory, for Faultline's pipeline
// (collector/otelcol.yaml, tail sampling, exporting to a real Jaeger) and, side by side, a
// receive-batch-drop baseline of the same binary. Every request carries new trace IDs and 30% of the
// traces fail; at each paced rate the bench looks every failing trace up in Jaeger, so the
// sustained rate is the one at which every error trace is kept whole (issue 14). Bounded: a fixed
// duration per round, 127.0.0.1 only.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  collectorPortEnv,
  freeCollectorPorts,
  freeJaegerPorts,
  jaegerPortEnv,
  repoRoot,
  requireTool,
  startProcess,
  waitHealthy,
} from '@faultline/stack';
import { median } from '../../../scripts/bench-lib.mjs';
import { metricSum } from './prom-text.mjs';

const SECONDS = Number(process.env.BENCH_COLLECTOR_SECONDS ?? 6);
const TRACES_PER_REQUEST = 10;
const SPANS_PER_TRACE = 10;
const SPANS_PER_REQUEST = TRACES_PER_REQUEST * SPANS_PER_TRACE;
/** Traces 0..2 of every request fail (30%): a 503 root with error.type, ERROR status. */
const FAILING_PER_REQUEST = 3;
const CONCURRENCY = 4;
const ROUNDS = 3;
const TRACE_MARK = '@@TRACE@@';

// A request is a fixed JSON template with its trace IDs filled in per post, so building a body
// costs a string join, not a JSON.stringify, and the load generator stays out of the measurement.
function template(): string[] {
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: SPANS_PER_REQUEST }, (_, i) => {
    const trace = Math.floor(i / SPANS_PER_TRACE);
    const root = i % SPANS_PER_TRACE === 0;
    const failing = trace < FAILING_PER_REQUEST;
    const status = root && failing ? 503 : 200;
    return {
      traceId: `${TRACE_MARK}${trace}${TRACE_MARK}`,
      spanId: randomBytes(8).toString('hex'),
      name: root ? 'POST /checkout' : 'GET /orders/:id',
      kind: 2,
      startTimeUnixNano: String(now - 3_000_000n),
      endTimeUnixNano: String(now),
      attributes: [
        { key: 'http.response.status_code', value: { intValue: status } },
        { key: 'url.path', value: { stringValue: '/orders/42' } },
        ...(status === 503
          ? [
              { key: 'error.type', value: { stringValue: 'service_unavailable' } },
              { key: 'faultline.error.category', value: { stringValue: 'resource' } },
            ]
          : []),
      ],
      status: { code: status === 503 ? 2 : 1 },
    };
  });
  const json = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bench' } }] },
        scopeSpans: [{ scope: { name: 'bench' }, spans }],
      },
    ],
  });
  // Split around every trace-ID slot: even parts are text, odd parts the trace index.
  return json.split(TRACE_MARK);
}

function body(parts: string[], ids: string[]): string {
  let out = '';
  for (let i = 0; i < parts.length; i++) out += i % 2 === 0 ? parts[i] : ids[Number(parts[i])];
  return out;
}

interface Load {
  accepted: number;
  failed: number;
  seconds: number;
  /** Trace IDs of the failing traces of every accepted request. */
  failingTraces: string[];
}

/** Posts for SECONDS, as fast as the collector answers or paced to `rate` spans/s. */
async function drive(url: string, rate?: number): Promise<Load> {
  const parts = template();
  const deadline = Date.now() + SECONDS * 1000;
  const start = Date.now();
  const perWorkerIntervalMs = rate ? (CONCURRENCY * SPANS_PER_REQUEST * 1000) / rate : 0;
  let accepted = 0;
  let failed = 0;
  const failingTraces: string[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      let next = Date.now();
      while (Date.now() < deadline) {
        if (perWorkerIntervalMs > 0) {
          next += perWorkerIntervalMs;
          const wait = next - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        const hex = randomBytes(16 * TRACES_PER_REQUEST).toString('hex');
        const ids = Array.from({ length: TRACES_PER_REQUEST }, (_, t) => hex.slice(t * 32, t * 32 + 32));
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: body(parts, ids),
        });
        await res.arrayBuffer();
        if (res.ok) {
          accepted += SPANS_PER_REQUEST;
          failingTraces.push(...ids.slice(0, FAILING_PER_REQUEST));
        } else failed += SPANS_PER_REQUEST;
      }
    }),
  );
  return { accepted, failed, seconds: (Date.now() - start) / 1000, failingTraces };
}

/** Spans Jaeger holds for one trace ID (0 when it has none). */
async function jaegerSpans(queryPort: number, traceId: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${queryPort}/api/traces/${traceId}`);
  if (res.status === 404) return 0;
  if (!res.ok) throw new Error(`Jaeger answered ${res.status} for trace ${traceId}`);
  const json = (await res.json()) as { data?: { spans?: unknown[] }[] };
  return json.data?.[0]?.spans?.length ?? 0;
}

/**
 * Waits for the sampler's decisions to reach Jaeger, then looks every failing trace up: how many
 * are whole (all SPANS_PER_TRACE spans), partial, or missing.
 */
async function checkKept(
  ids: string[],
  ports: { telemetry: number; jaegerQuery: number },
): Promise<{ whole: number; partial: number; missing: number; droppedTooEarly: number }> {
  const telemetry = `http://127.0.0.1:${ports.telemetry}/metrics`;
  // Decision wait (5 s) plus the batch timeout, then until the Jaeger exporter's count settles.
  await new Promise((r) => setTimeout(r, 6_500));
  let last = -1;
  for (let i = 0; i < 30; i++) {
    const sent = await metricSum(telemetry, 'otelcol_exporter_sent_spans', 'otlp/jaeger');
    if (sent === last) break;
    last = sent;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  let whole = 0;
  let partial = 0;
  let missing = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < ids.length) {
        const n = await jaegerSpans(ports.jaegerQuery, ids[next++]!);
        if (n === SPANS_PER_TRACE) whole++;
        else if (n === 0) missing++;
        else partial++;
      }
    }),
  );
  const droppedTooEarly = await metricSum(
    telemetry,
    'otelcol_processor_tail_sampling_sampling_trace_dropped_too_early',
  );
  return { whole, partial, missing, droppedTooEarly };
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
  /** Set when the run checked Jaeger: the failing traces sent and what Jaeger holds of them. */
  kept?: { sent: number; whole: number; partial: number; missing: number; droppedTooEarly: number };
}

async function runCollector(
  config: string,
  withJaeger: boolean,
  options: { rate?: number; checkJaeger?: boolean } = {},
): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'fl-bench-collector-'));
  const collectorPorts = await freeCollectorPorts();
  const jaegerPorts = await freeJaegerPorts();
  const ports = {
    http: collectorPorts.otlpHttp,
    telemetry: collectorPorts.telemetry,
    health: collectorPorts.health,
    jaegerQuery: jaegerPorts.queryHttp,
    jaegerHealth: jaegerPorts.health,
  };
  const env = {
    PATH: process.env.PATH,
    FAULTLINE_BIND_HOST: '127.0.0.1',
    ...collectorPortEnv(collectorPorts),
    ...jaegerPortEnv(jaegerPorts),
    FAULTLINE_JAEGER_OTLP_ENDPOINT: `127.0.0.1:${jaegerPorts.otlpGrpc}`,
    FAULTLINE_COLLECTOR_LOG_LEVEL: 'warn',
    FAULTLINE_JAEGER_LOG_LEVEL: 'warn',
    // Jaeger's Badger store in this run's own folder, removed with it.
    FAULTLINE_JAEGER_DATA_DIR: join(dir, 'jaeger-data'),
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
    const load = await drive(`http://127.0.0.1:${ports.http}/v1/traces`, options.rate);
    const refused = await metricSum(
      `http://127.0.0.1:${ports.telemetry}/metrics`,
      'otelcol_receiver_refused_spans',
    );
    const peakMiB = peakRssMiB(collector.child.pid!);
    const kept =
      withJaeger && options.checkJaeger
        ? { sent: load.failingTraces.length, ...(await checkKept(load.failingTraces, ports)) }
        : undefined;
    return { spansPerSecond: load.accepted / load.seconds, refused, failed: load.failed, peakMiB, kept };
  } finally {
    for (const p of procs.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
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
const pick = (rs: Result[], k: 'spansPerSecond' | 'peakMiB') => median(rs.map((r) => r[k]));
console.log(
  `collector, ${SECONDS}s x ${ROUNDS} rounds, ${CONCURRENCY} concurrent OTLP/HTTP JSON posts of ${TRACES_PER_REQUEST} traces x ${SPANS_PER_TRACE} spans (${FAILING_PER_REQUEST * 10}% of traces failing):\n` +
    `  faultline pipeline: ${pick(ours, 'spansPerSecond').toFixed(0)} spans/s, refused ${Math.max(...ours.map((r) => r.refused))}, failed requests' spans ${Math.max(...ours.map((r) => r.failed))}, peak RSS ${pick(ours, 'peakMiB').toFixed(0)} MiB\n` +
    `  baseline (receive, batch, drop): ${pick(base, 'spansPerSecond').toFixed(0)} spans/s, refused ${Math.max(...base.map((r) => r.refused))}, peak RSS ${pick(base, 'peakMiB').toFixed(0)} MiB`,
);
// No target: the ratio says what scrubbing, span metrics, tail sampling and the Jaeger export cost.
console.log(
  `      faultline pipeline / baseline ceiling: ${(pick(ours, 'spansPerSecond') / pick(base, 'spansPerSecond')).toFixed(2)}x`,
);

// The sustainable rate: the highest paced load at which the pipeline refuses nothing and Jaeger
// holds every failing trace whole.
let sustained: { rate: number; result: Result } | undefined;
for (const rate of [10_000, 20_000, 40_000, 60_000, 80_000]) {
  const result = await runCollector(faultlineConfig, true, { rate, checkJaeger: true });
  const k = result.kept!;
  const clean =
    result.refused === 0 &&
    result.failed === 0 &&
    result.spansPerSecond >= rate * 0.9 &&
    k.whole === k.sent &&
    k.droppedTooEarly === 0;
  console.log(
    `  paced ${rate} spans/s: accepted ${result.spansPerSecond.toFixed(0)}/s, refused ${result.refused}, peak RSS ${result.peakMiB.toFixed(0)} MiB; ` +
      `failing traces in Jaeger ${k.whole}/${k.sent} whole, ${k.partial} partial, ${k.missing} missing, dropped too early ${k.droppedTooEarly}${clean ? '' : '  <- not sustained'}`,
  );
  if (!clean) break;
  sustained = { rate, result };
}
console.log(
  sustained
    ? `PASS  faultline pipeline sustains ${sustained.rate} spans/s with zero refused and every failing trace (${sustained.result.kept!.sent}) whole in Jaeger, holding ${sustained.result.peakMiB.toFixed(0)} MiB at peak`
    : 'MISS  faultline pipeline refused spans or lost a failing trace even at 10000 spans/s',
);
