import { performance } from 'node:perf_hooks';
import { draw, type FaultMix, type MixEntry } from './mix.js';
import { sleep } from './sleep.js';

/** Hard caps: whatever the flags say, the generator stays polite to a 2-core laptop. */
export const LIMITS = Object.freeze({
  maxRps: 200,
  maxDurationS: 600,
  maxInFlight: 256,
  requestTimeoutMs: 15_000,
});

export interface LoadOptions {
  /** The gateway's base URL. */
  target: string;
  rps: number;
  durationS: number;
  mix: FaultMix;
  /** Send one `crash` request this many seconds in (the worker exits and is restarted). 0: never. */
  crashAtS?: number;
  /** Send one `inventory_down` request this many seconds in (inventory stops listening a while). 0: never. */
  outageAtS?: number;
  /** Seconds between progress lines; 0 prints none. Default 2. */
  progressEveryS?: number;
  onProgress?: (line: string) => void;
  /** Stops sending early (Ctrl-C); requests in flight still finish. */
  signal?: AbortSignal;
  random?: () => number;
}

export interface RequestOutcome {
  entry: MixEntry;
  /** HTTP status, 0 when no answer came. */
  status: number;
  /** The problem+json `code` of a failed request (or the transport error's code). */
  code?: string;
  correlationId?: string;
  latencyMs: number;
}

export interface LoadSummary {
  sent: number;
  ok: number;
  failed: number;
  /** Requests not sent because too many were in flight. */
  skipped: number;
  /** Seconds spent sending. */
  sendS: number;
  /** Seconds until the last answer came back. */
  durationS: number;
  errorsByCode: Record<string, { count: number; status: number; correlationId?: string }>;
  latencyMs: { p50: number; p95: number; p99: number };
  /** One failed request to look at, preferring one that started deep in the worker. */
  failing?: RequestOutcome;
}

/** Codes whose traces show the most when explained: raised in the worker with a cause chain. */
const INTERESTING = [
  'pricing_failed',
  'ledger_failed',
  'ledger_unreachable',
  'storage_corrupt',
  'tax_table_missing',
];

export function clampLoad(rps: number, durationS: number): { rps: number; durationS: number } {
  return {
    rps: Math.min(LIMITS.maxRps, Math.max(0.1, rps)),
    durationS: Math.min(LIMITS.maxDurationS, Math.max(1, durationS)),
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function requestUrl(target: string, entry: MixEntry, n: number): string {
  const id = `ord-${String(100_000 + (n % 900_000))}`;
  const base = `${target.replace(/\/$/, '')}/orders/${id}`;
  return entry === 'healthy' ? base : `${base}?fault=${entry}`;
}

/** One request; never throws. */
export async function sendOne(target: string, entry: MixEntry, n: number): Promise<RequestOutcome> {
  const t0 = performance.now();
  try {
    const res = await fetch(requestUrl(target, entry, n), {
      signal: AbortSignal.timeout(LIMITS.requestTimeoutMs),
    });
    const text = await res.text();
    let body: { code?: unknown; correlationId?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // not JSON: keep the status
    }
    const header = res.headers.get('x-correlation-id') ?? undefined;
    const correlationId = typeof body.correlationId === 'string' ? body.correlationId : header;
    return {
      entry,
      status: res.status,
      ...(res.ok ? {} : { code: typeof body.code === 'string' ? body.code : `http_${res.status}` }),
      ...(correlationId !== undefined ? { correlationId } : {}),
      latencyMs: performance.now() - t0,
    };
  } catch (e) {
    const cause = (e as { cause?: { code?: unknown } }).cause;
    const code = typeof cause?.code === 'string' ? cause.code : (e as Error).name;
    return {
      entry,
      status: 0,
      code: `client_${String(code).toLowerCase()}`,
      latencyMs: performance.now() - t0,
    };
  }
}

export class Tally {
  sent = 0;
  ok = 0;
  failed = 0;
  skipped = 0;
  readonly errorsByCode: LoadSummary['errorsByCode'] = {};
  readonly latencies: number[] = [];
  private failing: RequestOutcome | undefined;
  private failingRank = Number.POSITIVE_INFINITY;

  add(outcome: RequestOutcome): void {
    this.latencies.push(outcome.latencyMs);
    if (outcome.status >= 200 && outcome.status < 400) {
      this.ok++;
      return;
    }
    this.failed++;
    const code = outcome.code ?? `http_${outcome.status}`;
    const slot = this.errorsByCode[code] ?? { count: 0, status: outcome.status };
    this.errorsByCode[code] = slot;
    slot.count++;
    if (slot.correlationId === undefined && outcome.correlationId !== undefined)
      slot.correlationId = outcome.correlationId;
    if (outcome.correlationId !== undefined) {
      const interesting = INTERESTING.indexOf(code);
      const rank = interesting >= 0 ? interesting : outcome.status >= 500 ? 100 : 200;
      if (rank < this.failingRank) {
        this.failingRank = rank;
        this.failing = outcome;
      }
    }
  }

  progressLine(elapsedS: number): string {
    const codes = Object.entries(this.errorsByCode).sort((a, b) => b[1].count - a[1].count);
    const shown = codes.slice(0, 6).map(([code, { count }]) => `${code} ${count}`);
    if (codes.length > 6) shown.push(`+${codes.length - 6} more`);
    const head = `[${String(Math.round(elapsedS)).padStart(3)}s] sent ${this.sent}  ok ${this.ok}  errors ${this.failed}`;
    return shown.length > 0 ? `${head}: ${shown.join(', ')}` : head;
  }

  summary(sendS: number, durationS: number = sendS): LoadSummary {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      sent: this.sent,
      ok: this.ok,
      failed: this.failed,
      skipped: this.skipped,
      sendS,
      durationS,
      errorsByCode: this.errorsByCode,
      latencyMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) },
      ...(this.failing ? { failing: this.failing } : {}),
    };
  }
}

/**
 * Sends `rps` requests a second for `durationS` seconds (both capped by LIMITS), drawing each from
 * the mix, and returns the tally. Requests are paced by elapsed time, so a slow answer does not
 * slow the rate; at most LIMITS.maxInFlight are outstanding (more are counted as skipped).
 */
export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const { rps, durationS } = clampLoad(options.rps, options.durationS);
  const random = options.random ?? Math.random;
  const progressEvery = options.progressEveryS ?? 2;
  const print = options.onProgress ?? ((line: string) => console.log(line));
  const tally = new Tally();
  const inFlight = new Set<Promise<void>>();
  let crashPending = (options.crashAtS ?? 0) > 0;
  let outagePending = (options.outageAtS ?? 0) > 0;
  let nextProgress = progressEvery;
  const t0 = performance.now();
  let n = 0;
  let sendS = 0;
  for (;;) {
    const elapsed = (performance.now() - t0) / 1000;
    sendS = elapsed;
    if (elapsed >= durationS || options.signal?.aborted) break;
    const due = Math.min(Math.floor(elapsed * rps) + 1, Math.ceil(durationS * rps));
    while (tally.sent + tally.skipped < due) {
      if (inFlight.size >= LIMITS.maxInFlight) {
        tally.skipped++;
        continue;
      }
      let entry = draw(options.mix, random);
      if (crashPending && elapsed >= (options.crashAtS ?? 0)) {
        entry = 'crash';
        crashPending = false;
      } else if (outagePending && elapsed >= (options.outageAtS ?? 0)) {
        entry = 'inventory_down';
        outagePending = false;
      }
      tally.sent++;
      const p: Promise<void> = sendOne(options.target, entry, n++).then((outcome) => {
        tally.add(outcome);
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
    if (progressEvery > 0 && elapsed >= nextProgress) {
      print(tally.progressLine(elapsed));
      nextProgress += progressEvery;
    }
    await sleep(Math.min(20, Math.max(1, 1000 / rps / 2)));
  }
  await Promise.all(inFlight);
  const total = (performance.now() - t0) / 1000;
  if (progressEvery > 0) print(tally.progressLine(total));
  return tally.summary(sendS, total);
}

/** The end-of-run report, one string. */
export function formatSummary(s: LoadSummary): string {
  const lines = [
    `load: ${s.sent} requests in ${s.sendS.toFixed(1)} s (${(s.sent / Math.max(s.sendS, 0.001)).toFixed(1)} rps), ` +
      `last answer at ${s.durationS.toFixed(1)} s: ` +
      `${s.ok} ok, ${s.failed} failed${s.skipped > 0 ? `, ${s.skipped} skipped (too many in flight)` : ''}`,
    `latency ms: p50 ${s.latencyMs.p50.toFixed(1)}  p95 ${s.latencyMs.p95.toFixed(1)}  p99 ${s.latencyMs.p99.toFixed(1)}`,
  ];
  const codes = Object.entries(s.errorsByCode).sort((a, b) => b[1].count - a[1].count);
  if (codes.length > 0) {
    lines.push('errors by code (HTTP status, count):');
    for (const [code, { count, status }] of codes)
      lines.push(`  ${code.padEnd(26)} ${String(status || '-').padStart(3)}  ${String(count).padStart(5)}`);
  }
  if (s.failing?.correlationId) {
    lines.push(
      `failing request: correlation ID ${s.failing.correlationId} (${s.failing.code}, HTTP ${s.failing.status})`,
    );
  }
  return lines.join('\n');
}
