import {
  decorrelatedJitterGenerator,
  ExponentialBackoff,
  fullJitterGenerator,
  halfJitterGenerator,
  type IBackoff,
  noJitterGenerator,
} from 'cockatiel';

/**
 * With d = min(maxDelayMs, initialDelayMs * 2^(retry-1)), whole milliseconds:
 * - `full`: uniform in [0, d] (AWS "full jitter"; d itself only by floating-point rounding).
 * - `equal`: uniform in [d/2, d].
 * - `decorrelated`: cockatiel's decorrelated jitter (Polly's), in [0, maxDelayMs].
 * - `none`: exactly d.
 */
export const JITTERS = ['full', 'equal', 'decorrelated', 'none'] as const;
export type Jitter = (typeof JITTERS)[number];

const GENERATORS = {
  full: fullJitterGenerator,
  equal: halfJitterGenerator,
  decorrelated: decorrelatedJitterGenerator,
  none: noJitterGenerator,
} as const;

export interface BackoffConfig {
  initialDelayMs: number;
  maxDelayMs: number;
  jitter: Jitter;
  /** Upper bound applied to a server's retry-after hint. */
  maxRetryAfterMs: number;
}

/**
 * The delays of one call, in order: cockatiel's exponential backoff (and its jitter generators)
 * raised to the server's retry-after hint when there is one, the hint capped at maxRetryAfterMs.
 */
export class DelaySequence {
  private backoff: IBackoff<unknown> | undefined;
  private readonly factory: ExponentialBackoff<unknown>;

  constructor(private readonly config: BackoffConfig) {
    this.factory = new ExponentialBackoff({
      generator: GENERATORS[config.jitter] as never,
      initialDelay: config.initialDelayMs,
      maxDelay: config.maxDelayMs,
      exponent: 2,
    });
  }

  /** The wait before the next retry, given the hint of the error that caused it. */
  next(retryAfterMs: number | undefined): number {
    this.backoff = this.backoff ? this.backoff.next(undefined) : this.factory.next();
    const computed = Math.max(0, Math.round(this.backoff.duration));
    if (retryAfterMs === undefined) return computed;
    return Math.max(computed, Math.min(retryAfterMs, this.config.maxRetryAfterMs));
  }
}
