// A bounded, paced OTLP/HTTP span load for the fleet, with a ledger of what was sent: three
// services per trace, each reporting its spans in its own requests to an agent chosen as a plain
// load balancer would (round robin per request), so one trace's spans reach different agents.
// What the fleet must then show: every kept trace whole in Jaeger, span metrics equal to the
// ledger. Used by test/e2e/fleet.e2e.test.ts and bench/fleet.bench.ts.
import { randomBytes } from 'node:crypto';

export interface SentTrace {
  traceId: string;
  spanIds: string[];
  error: boolean;
  /** When its spans were posted (ms since epoch). */
  sentAt: number;
}

export interface FleetLoadResult {
  /** Traces whose every request an agent accepted. */
  traces: SentTrace[];
  /** Spans agents accepted, per service name and status (`ok` / `error`): what span metrics must count. */
  spansByService: Record<string, { ok: number; error: number }>;
  spansAccepted: number;
  /** Requests an agent refused or that failed (their spans are not in the ledger). */
  failedRequests: number;
  seconds: number;
}

export interface FleetLoadOptions {
  /** OTLP/HTTP base URLs of the agents (http://127.0.0.1:port). */
  agents: string[];
  durationSeconds: number;
  tracesPerSecond: number;
  /** Every n-th trace fails (default 2). */
  errorEvery?: number;
  /** Service name prefix (default `fleet`): services `<prefix>-frontend`, `-orders`, `-stock`. */
  prefix?: string;
  /** Called every tick with the seconds elapsed (fault injection); awaited before the next tick. */
  onTick?: (elapsedSeconds: number) => void | Promise<void>;
}

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: number } }>;
  events?: Array<{ name: string; timeUnixNano: string; attributes: unknown[] }>;
  status: { code: number; message?: string };
}

const TICK_MS = 100;
const id = (bytes: number) => randomBytes(bytes).toString('hex');
const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const int = (key: string, v: number) => ({ key, value: { intValue: v } });

/** One trace: frontend SERVER ▶ CLIENT ▶ orders SERVER ▶ INTERNAL ▶ stock SERVER; spans per service. */
function trace(error: boolean): { traceId: string; spans: Span[][] } {
  const traceId = id(16);
  const now = BigInt(Date.now()) * 1_000_000n;
  const ns = (msAgo: number) => String(now - BigInt(msAgo) * 1_000_000n);
  const [root, client, orders, internal, stock] = [id(8), id(8), id(8), id(8), id(8)];
  const status = error ? { code: 2, message: 'stock unavailable' } : { code: 1 };
  const failure = error
    ? [str('error.type', 'stock_unavailable'), str('faultline.error.code', 'stock_unavailable')]
    : [];
  const span = (
    spanId: string,
    parentSpanId: string | undefined,
    name: string,
    kind: number,
    startAgo: number,
    attributes: Span['attributes'],
    failed: boolean,
  ): Span => ({
    traceId,
    spanId,
    ...(parentSpanId ? { parentSpanId } : {}),
    name,
    kind,
    startTimeUnixNano: ns(startAgo),
    endTimeUnixNano: ns(startAgo - 3),
    attributes: [...attributes, ...(failed ? failure : [])],
    ...(failed && name.startsWith('GET /stock')
      ? {
          events: [
            { name: 'exception', timeUnixNano: ns(1), attributes: [str('exception.type', 'StockError')] },
          ],
        }
      : {}),
    status: failed ? status : { code: 0 },
  });
  return {
    traceId,
    spans: [
      [
        span(
          root,
          undefined,
          'POST /checkout',
          2,
          20,
          [int('http.response.status_code', error ? 503 : 200)],
          error,
        ),
        span(client, root, 'orders.Place', 3, 18, [], error),
      ],
      [
        span(orders, client, 'orders.Place', 2, 16, [], error),
        span(internal, orders, 'reserve', 1, 14, [], false),
      ],
      [
        span(
          stock,
          internal,
          'GET /stock/:sku',
          2,
          12,
          [int('http.response.status_code', error ? 503 : 200)],
          error,
        ),
      ],
    ],
  };
}

function body(service: string, spans: Span[]): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [str('service.name', service)] },
        scopeSpans: [{ scope: { name: 'faultline-fleet-load' }, spans }],
      },
    ],
  });
}

/** Posts traces for `durationSeconds` at `tracesPerSecond`; never throws for a refused request. */
export async function sendFleetLoad(options: FleetLoadOptions): Promise<FleetLoadResult> {
  const prefix = options.prefix ?? 'fleet';
  const services = [`${prefix}-frontend`, `${prefix}-orders`, `${prefix}-stock`];
  const errorEvery = options.errorEvery ?? 2;
  const perTick = options.tracesPerSecond / (1000 / TICK_MS);
  const result: FleetLoadResult = {
    traces: [],
    spansByService: Object.fromEntries(services.map((s) => [s, { ok: 0, error: 0 }])),
    spansAccepted: 0,
    failedRequests: 0,
    seconds: 0,
  };
  const start = Date.now();
  let owed = 0;
  let n = 0;
  let request = 0;
  for (let tick = 0; Date.now() - start < options.durationSeconds * 1000; tick++) {
    await options.onTick?.((Date.now() - start) / 1000);
    owed += perTick;
    const batch: Array<ReturnType<typeof trace> & { error: boolean }> = [];
    for (; owed >= 1; owed--) {
      const error = n++ % errorEvery === 0;
      batch.push({ ...trace(error), error });
    }
    const failed = new Set<string>();
    await Promise.all(
      services.map(async (service, s) => {
        const spans = batch.flatMap((t) => t.spans[s] ?? []);
        if (spans.length === 0) return;
        const agent = options.agents[request++ % options.agents.length];
        let ok = false;
        try {
          const res = await fetch(`${agent}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: body(service, spans),
            signal: AbortSignal.timeout(10_000),
          });
          await res.arrayBuffer();
          ok = res.ok;
        } catch {
          ok = false;
        }
        if (!ok) {
          result.failedRequests++;
          for (const sp of spans) failed.add(sp.traceId);
          return;
        }
        for (const sp of spans) {
          const counts = result.spansByService[service]!;
          if (sp.status.code === 2) counts.error++;
          else counts.ok++;
          result.spansAccepted++;
        }
      }),
    );
    const sentAt = Date.now();
    for (const t of batch) {
      if (failed.has(t.traceId)) continue;
      result.traces.push({
        traceId: t.traceId,
        spanIds: t.spans.flat().map((s) => s.spanId),
        error: t.error,
        sentAt,
      });
    }
    const next = start + (tick + 1) * TICK_MS;
    const wait = next - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  result.seconds = (Date.now() - start) / 1000;
  return result;
}

/** The span IDs Jaeger holds for a trace (API v3), or [] when it has none. */
export async function jaegerSpanIds(jaegerQuery: string, traceId: string): Promise<string[]> {
  const res = await fetch(`${jaegerQuery}/api/v3/traces/${traceId}`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`Jaeger answered ${res.status} for ${traceId}: ${text.slice(0, 200)}`);
  const ids: string[] = [];
  for (const chunk of text.split('\n').filter(Boolean)) {
    const parsed = JSON.parse(chunk) as {
      result?: { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: Array<{ spanId?: string }> }> }> };
    };
    for (const rs of parsed.result?.resourceSpans ?? [])
      for (const ss of rs.scopeSpans ?? [])
        for (const sp of ss.spans ?? []) if (sp.spanId) ids.push(sp.spanId);
  }
  return ids;
}

/**
 * Sums a counter over the Prometheus text of several endpoints, per the values of `by` (joined by
 * `|`): e.g. traces_span_metrics_calls_total by service_name and status_code, over every agent.
 */
export async function sumCounter(
  urls: string[],
  metric: string,
  match: (labels: Record<string, string>) => boolean,
  by: string[],
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const url of urls) {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text();
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${metric}{`)) continue;
      const close = line.indexOf('} ');
      if (close < 0) continue;
      const labels: Record<string, string> = {};
      for (const m of line.slice(metric.length + 1, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
        labels[m[1] as string] = m[2] as string;
      if (!match(labels)) continue;
      const value = Number(line.slice(close + 2).split(' ')[0]);
      const key = by.map((k) => labels[k] ?? '').join('|');
      out[key] = (out[key] ?? 0) + value;
    }
  }
  return out;
}
