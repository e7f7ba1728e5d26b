import type { FaultlineError } from '@faultline/errors';
import { CALLER_FAULT_CATEGORIES } from '@faultline/errors/internal';

const BUCKET_MS = 1_000;
/** Ten minutes of one-second buckets: the longest error-rate window health() accepts. */
export const MAX_WINDOW_MS = 600_000;
const BUCKETS = MAX_WINDOW_MS / BUCKET_MS;

export interface OutcomeSnapshot {
  windowMs: number;
  calls: number;
  failures: number;
  fallbacks: number;
}

/**
 * Recent operation outcomes for health(), in one-second buckets. Reading the clock costs more than
 * a whole successful call on some machines, so the success path only increments a pending count;
 * the clock is read on failures and when health() asks, and pending successes are then spread
 * evenly over the seconds since the previous read (an estimate that is exact at steady load).
 */
export class OutcomeWindow {
  private readonly calls = new Float64Array(BUCKETS);
  private readonly failures = new Float64Array(BUCKETS);
  private readonly fallbacks = new Float64Array(BUCKETS);
  private pendingCalls = 0;
  private pendingFallbacks = 0;
  private second = -1;

  success(): void {
    this.pendingCalls++;
  }

  /** An operation that answered with its fallback (also counted as a success by success()). */
  fellBack(): void {
    this.pendingFallbacks++;
  }

  failure(err: FaultlineError): void {
    this.sync(Date.now());
    const i = this.second % BUCKETS;
    this.calls[i] = (this.calls[i] ?? 0) + 1;
    if (!CALLER_FAULT_CATEGORIES.has(err.category)) this.failures[i] = (this.failures[i] ?? 0) + 1;
  }

  snapshot(now: number, windowMs: number): OutcomeSnapshot {
    this.sync(now);
    const n = Math.min(BUCKETS, Math.max(1, Math.ceil(windowMs / BUCKET_MS)));
    let calls = 0;
    let failures = 0;
    let fallbacks = 0;
    for (let k = 0; k < n; k++) {
      const i = (this.second - k + BUCKETS) % BUCKETS;
      calls += this.calls[i] ?? 0;
      failures += this.failures[i] ?? 0;
      fallbacks += this.fallbacks[i] ?? 0;
    }
    return { windowMs: n * BUCKET_MS, calls: Math.round(calls), failures, fallbacks: Math.round(fallbacks) };
  }

  private sync(now: number): void {
    const second = Math.floor(now / BUCKET_MS);
    if (this.second < 0 || second <= this.second) {
      // First read, same second, or a clock that stepped back: everything pending is "now".
      if (this.second < 0) this.second = second;
      this.add(this.second % BUCKETS, this.pendingCalls, this.pendingFallbacks);
    } else {
      const gap = second - this.second;
      for (let k = 1; k <= Math.min(gap, BUCKETS); k++) this.clear((this.second + k) % BUCKETS);
      const first = Math.max(this.second, second - BUCKETS + 1);
      const share = 1 / (gap + 1);
      for (let s = first; s <= second; s++) {
        this.add(s % BUCKETS, this.pendingCalls * share, this.pendingFallbacks * share);
      }
      this.second = second;
    }
    this.pendingCalls = 0;
    this.pendingFallbacks = 0;
  }

  private add(i: number, calls: number, fallbacks: number): void {
    this.calls[i] = (this.calls[i] ?? 0) + calls;
    this.fallbacks[i] = (this.fallbacks[i] ?? 0) + fallbacks;
  }

  private clear(i: number): void {
    this.calls[i] = 0;
    this.failures[i] = 0;
    this.fallbacks[i] = 0;
  }
}

/** The process-wide window every operation reports to. */
export let outcomes = new OutcomeWindow();

/** Starts from an empty window (tests). @internal */
export function resetOutcomes(): void {
  outcomes = new OutcomeWindow();
}
