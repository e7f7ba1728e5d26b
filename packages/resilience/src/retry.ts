import { ATTR, FaultlineError, isFaultlineError, toFaultlineError } from '@faultline/errors';
import { errorAttributes, statusMessage } from '@faultline/errors/internal';
import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  ConstantBackoff,
  retry as cockatielRetry,
  handleWhen,
  type IRetryContext,
  type RetryPolicy,
} from 'cockatiel';
import { type BackoffConfig, DelaySequence, JITTERS, type Jitter } from './backoff.js';
import { checkName, OptionChecker } from './options.js';
import { type ExecutionContext, type Layer, LayeredPolicy, type Operation } from './policy.js';
import { type AttemptCounts, countsFor, type RetryOutcome, SPAN, tracer } from './telemetry.js';

export const GIVE_UP_REASONS = ['not_retryable', 'exhausted', 'budget', 'circuit_open', 'aborted'] as const;
/** Why a retry policy stopped: also the `outcome` of its last faultline.retry.attempts increment. */
export type GiveUpReason = (typeof GIVE_UP_REASONS)[number];

/** What a retry policy did, carried by the error it gives up with (`details.retry`). */
export interface RetryHistory {
  /** The retry policy's name. */
  readonly policy: string;
  /** Attempts that ran (0 when the signal was aborted before the first). */
  readonly attempts: number;
  /** The error code of each attempt, in order. */
  readonly codes: readonly string[];
  /** The wait before each retry, in order (one fewer than attempts, or equal when a wait was aborted). */
  readonly delaysMs: readonly number[];
  readonly gaveUpBecause: GiveUpReason;
}

export interface RetryOptions {
  /** Names the policy on metrics (`policy` attribute) and on the operation span. Required. */
  name: string;
  /** Total attempts including the first (1 = never retry). Default 3. */
  maxAttempts?: number;
  /** The first backoff, in ms. Default 100. */
  initialDelayMs?: number;
  /** The largest computed backoff, in ms. Default 5000. */
  maxDelayMs?: number;
  /** Jitter applied to the exponential backoff. Default 'full'. */
  jitter?: Jitter;
  /**
   * A server's hint (`retryAfterMs` on the error: gRPC RetryInfo, HTTP Retry-After) raises the wait
   * to the hint, capped at this many ms. Default 30000.
   */
  maxRetryAfterMs?: number;
  /**
   * Time budget for retrying, counted from the first failure: a retry whose wait would end past it
   * is not made (`budget`). Bound each attempt with a timeout() inside the retry. Default 30000.
   */
  budgetMs?: number;
  /**
   * Whether an error is worth another attempt. Default: the taxonomy's `retryable`, except
   * `circuit_open` (an open breaker is there to shed load). A predicate that throws counts as false.
   */
  retryIf?: (error: FaultlineError, thrown: unknown) => boolean;
  /**
   * The operation is one HTTP request: attempt spans after the first carry
   * `http.request.resend_count` (attempt - 1), per the HTTP semantic conventions.
   */
  http?: boolean;
}

interface RetryConfig extends BackoffConfig {
  name: string;
  maxAttempts: number;
  budgetMs: number;
  retryIf: ((error: FaultlineError, thrown: unknown) => boolean) | undefined;
  http: boolean;
}

function configure(options: RetryOptions): RetryConfig {
  const check = new OptionChecker('FAULTLINE_ERR_INVALID_RETRY_OPTION', 'retry()');
  const o = check.object('options', options);
  const name = checkName(o.name, 'retry()');
  const initialDelayMs = check.int('initialDelayMs', o.initialDelayMs, 100, 0, 2_147_483_647);
  const maxDelayMs = check.int('maxDelayMs', o.maxDelayMs, Math.max(5_000, initialDelayMs), 0, 2_147_483_647);
  if (maxDelayMs < initialDelayMs)
    check.fail('maxDelayMs', `at least initialDelayMs (${initialDelayMs})`, maxDelayMs);
  if (o.http !== undefined && typeof o.http !== 'boolean') check.fail('http', 'a boolean', o.http);
  return {
    name,
    maxAttempts: check.int('maxAttempts', o.maxAttempts, 3, 1, 100),
    initialDelayMs,
    maxDelayMs,
    jitter: check.oneOf('jitter', o.jitter, JITTERS, 'full'),
    maxRetryAfterMs: check.ms('maxRetryAfterMs', o.maxRetryAfterMs, 30_000),
    budgetMs: check.ms('budgetMs', o.budgetMs, 30_000, 0, true),
    retryIf: check.fn('retryIf', o.retryIf),
    http: o.http === true,
  };
}

/** Thrown to cockatiel for an attempt we decided to retry (after we waited): its error filter handles only this. */
class RetrySignal {}
const RETRY = Object.freeze(new RetrySignal());

const isRetrySignal = (value: unknown): boolean => value instanceof RetrySignal;

/** Sleeps unless the signal aborts first; resolves false when aborted. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The per-call state of one retried operation. */
class RetryCall<T> {
  private attempts = 0;
  private codes: string[] | undefined;
  private delays: number[] | undefined;
  private sequence: DelaySequence | undefined;
  private firstFailureAt = 0;
  private last: FaultlineError | undefined;
  private lastThrown: unknown;

  constructor(
    private readonly layer: RetryLayer,
    private readonly next: (ctx: ExecutionContext) => Promise<T>,
    private readonly ctx: ExecutionContext,
    private readonly op: Operation,
  ) {}

  /** cockatiel calls this once per attempt. */
  readonly attempt = async (_: IRetryContext): Promise<T> => {
    const { ctx, op, layer } = this;
    if (ctx.signal.aborted) throw this.giveUp('aborted');
    const n = ++this.attempts;
    const inner = n === 1 ? ctx : { signal: ctx.signal, attempt: n };
    let span: Span | undefined;
    let outer: Span | undefined;
    let promise: Promise<T>;
    if (op.recording) {
      outer = op.current;
      span = layer.attemptSpan(n, trace.setSpan(op.context, outer));
      op.current = span;
      promise = context.with(trace.setSpan(op.context, span), this.next, undefined, inner);
    } else {
      promise = this.next(inner);
    }
    try {
      const value = await promise;
      layer.counts.success++;
      if (span) {
        span.setAttribute(SPAN.OUTCOME, 'success');
        span.end();
        op.current = outer as Span;
        if (n > 1) op.span.setAttribute(SPAN.ATTEMPTS, n);
      }
      return value;
    } catch (thrown) {
      if (span) op.current = outer as Span;
      return this.failed(thrown, n, span);
    }
  };

  private async failed(thrown: unknown, n: number, span: Span | undefined): Promise<never> {
    const err = toFaultlineError(thrown);
    this.last = err;
    this.lastThrown = thrown;
    if (this.codes === undefined) this.codes = [];
    this.codes.push(err.code);
    const decision = this.decide(err, thrown, n);
    if (typeof decision === 'string') {
      endAttempt(span, err, decision);
      throw this.giveUp(decision);
    }
    this.layer.counts.retry++;
    if (this.delays === undefined) this.delays = [];
    this.delays.push(decision);
    endAttempt(span, err, 'retry', decision);
    if (span) {
      this.op.span.addEvent(SPAN.EVENT_RETRY, {
        [SPAN.ATTEMPT]: n,
        [SPAN.DELAY_MS]: decision,
        [ATTR.ERROR_TYPE]: err.code,
      });
    }
    if (!(await sleep(decision, this.ctx.signal))) throw this.giveUp('aborted');
    throw RETRY;
  }

  /** A delay in ms to retry after, or why not to. */
  private decide(err: FaultlineError, thrown: unknown, n: number): number | GiveUpReason {
    const config = this.layer.config;
    if (this.ctx.signal.aborted) return 'aborted';
    let retryable: boolean;
    if (config.retryIf) {
      try {
        retryable = config.retryIf(err, thrown) === true;
      } catch {
        retryable = false;
      }
    } else {
      retryable = err.retryable && err.code !== 'circuit_open';
    }
    if (!retryable) return err.code === 'circuit_open' ? 'circuit_open' : 'not_retryable';
    if (n >= config.maxAttempts) return 'exhausted';
    const now = Date.now();
    if (this.sequence === undefined) {
      this.sequence = new DelaySequence(config);
      this.firstFailureAt = now;
    }
    const delay = this.sequence.next(err.retryAfterMs);
    if (now - this.firstFailureAt + delay > config.budgetMs) return 'budget';
    return delay;
  }

  /** The error the policy gives up with: the last attempt's, plus the history. */
  giveUp(reason: GiveUpReason): FaultlineError {
    const { layer, op } = this;
    layer.counts[reason]++;
    const history: RetryHistory = {
      policy: layer.config.name,
      attempts: this.attempts,
      codes: this.codes ?? [],
      delaysMs: this.delays ?? [],
      gaveUpBecause: reason,
    };
    if (op.recording) {
      op.span.setAttribute(SPAN.ATTEMPTS, this.attempts);
      op.span.setAttribute(SPAN.GAVE_UP_BECAUSE, reason);
    }
    const last = this.last;
    if (last === undefined) {
      return new FaultlineError({
        code: 'cancelled',
        message: `retry '${layer.config.name}' was aborted before its first attempt`,
        cause: this.ctx.signal.reason,
        details: { retry: history },
      });
    }
    // The policy's own error, raised here (not remote), stackless, caused by what the last attempt threw.
    return last.with({
      cause: this.lastThrown,
      details: { ...last.details, retry: history },
      remote: false,
      stack: undefined,
      captureStack: false,
    });
  }

  /** cockatiel gave up on its own (its attempt limit, or the signal between attempts). */
  fromCockatiel(): FaultlineError {
    return this.giveUp(this.ctx.signal.aborted ? 'aborted' : 'exhausted');
  }
}

function endAttempt(
  span: Span | undefined,
  err: FaultlineError,
  outcome: RetryOutcome,
  delayMs?: number,
): void {
  if (!span) return;
  // The attempt failed (its span says so); whether the operation did is the operation span's call.
  span.setAttributes(errorAttributes(err));
  span.setAttribute(SPAN.OUTCOME, outcome);
  if (delayMs !== undefined) span.setAttribute(SPAN.DELAY_MS, delayMs);
  span.setStatus({ code: SpanStatusCode.ERROR, message: statusMessage(err) });
  span.end();
}

class RetryLayer implements Layer {
  readonly label: string;
  readonly counts: AttemptCounts;
  private readonly policy: RetryPolicy;

  constructor(readonly config: RetryConfig) {
    this.label = `retry:${config.name}`;
    this.counts = countsFor(config.name);
    // cockatiel runs the attempt loop and bounds it; the wait happens inside our attempt so that an
    // abort ends it at once (cockatiel's own backoff timer does not listen to the signal).
    this.policy = cockatielRetry(handleWhen(isRetrySignal), {
      maxAttempts: config.maxAttempts - 1,
      backoff: new ConstantBackoff(0),
    });
  }

  attemptSpan(n: number, parent: ReturnType<typeof trace.setSpan>): Span {
    const span = tracer().startSpan(
      `${this.config.name} attempt`,
      { kind: SpanKind.INTERNAL, attributes: { [SPAN.ATTEMPT]: n } },
      parent,
    );
    if (this.config.http && n > 1) span.setAttribute(SPAN.RESEND_COUNT, n - 1);
    return span;
  }

  async run<T>(
    next: (ctx: ExecutionContext) => Promise<T>,
    ctx: ExecutionContext,
    op: Operation,
  ): Promise<T> {
    const call = new RetryCall(this, next, ctx, op);
    try {
      return await this.policy.execute(call.attempt, ctx.signal);
    } catch (thrown) {
      if (thrown instanceof RetrySignal) throw call.fromCockatiel();
      throw thrown;
    }
  }
}

export class RetryFaultlinePolicy extends LayeredPolicy {
  readonly options: Readonly<RetryConfig>;
  constructor(config: RetryConfig) {
    super(config.name, 'retry', [new RetryLayer(config)]);
    this.options = Object.freeze({ ...config });
  }
}

/**
 * A taxonomy-aware retry policy on cockatiel's retry: exponential backoff with jitter, the server's
 * hint honoured (capped), bounded attempts and retry time, AbortSignal respected. When it gives up
 * it throws a FaultlineError with the last attempt's code, the last error as `cause`, and
 * `details.retry` (read it with retryHistory()).
 */
export function retry(options: RetryOptions): RetryFaultlinePolicy {
  return new RetryFaultlinePolicy(configure(options));
}

/** The history a retry policy attached to the error it gave up with, or undefined. */
export function retryHistory(error: unknown): RetryHistory | undefined {
  if (!isFaultlineError(error)) return undefined;
  const value = error.details.retry as Partial<RetryHistory> | undefined;
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof value.policy !== 'string' ||
    typeof value.attempts !== 'number' ||
    !Array.isArray(value.codes) ||
    !Array.isArray(value.delaysMs) ||
    !(GIVE_UP_REASONS as readonly unknown[]).includes(value.gaveUpBecause)
  ) {
    return undefined;
  }
  return value as RetryHistory;
}
