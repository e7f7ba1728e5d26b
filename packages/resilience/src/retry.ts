import { ATTR, FaultlineError, isFaultlineError, toFaultlineError } from '@faultline/errors';
import { CALLER_FAULT_CATEGORIES, specFor } from '@faultline/errors/internal';
import { context } from '@opentelemetry/api';
import {
  ConstantBackoff,
  retry as cockatielRetry,
  handleWhen,
  type IRetryContext,
  type RetryPolicy,
} from 'cockatiel';
import { AttemptContext, AttemptMark } from './attempt-context.js';
import { type BackoffConfig, DelaySequence, JITTERS, type Jitter } from './backoff.js';
import { budgetFor, type RetryBudget, type RetryBudgetOptions } from './budget.js';
import { isIdempotent, notSent } from './idempotency.js';
import { checkName, OptionChecker } from './options.js';
import { type ExecutionContext, type Layer, LayeredPolicy, type Operation } from './policy.js';
import { type AttemptCounts, countsFor, SPAN } from './telemetry.js';

export const GIVE_UP_REASONS = [
  'not_retryable',
  'not_idempotent',
  'exhausted',
  'budget',
  'retry_budget',
  'circuit_open',
  'aborted',
] as const;
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
   * The operation is one HTTP request: the client spans of attempts after the first carry
   * `http.request.resend_count` (attempt - 1) even when their attributes do not say HTTP (HTTP
   * client spans get it anyway).
   */
  http?: boolean;
  /**
   * The retry budget shared by every call of this policy: retries stay within `share` of the calls
   * plus `minPerSecond`; a retry the budget refuses is not made (`retry_budget`). Default: on, this
   * policy's own, share 0.2, minPerSecond 1, maxTokens 10. `{ name }` shares one budget between
   * policies; a budget from retryBudget() too; `false` turns it off.
   */
  retryBudget?: RetryBudgetOptions | RetryBudget | false;
  /**
   * Whether the operation may be repeated after it may have reached the server (a timeout, a reset,
   * an error answer). Default: from `method`, else false: only failures that certainly did not
   * reach the server (connection refused, no connection, a local breaker or bulkhead rejection)
   * are retried (`not_idempotent` otherwise).
   */
  idempotent?: boolean;
  /** The HTTP method of the operation: idempotent per RFC 9110 (GET, HEAD, OPTIONS, TRACE, PUT, DELETE). */
  method?: string;
  /**
   * Take a remote error's `retryable` as its peer says. false: the local taxonomy of its code
   * decides instead (a misbehaving server cannot make every client retry). Default true. A remote
   * error of a caller-fault category (validation, authentication, authorization, not_found,
   * conflict, cancelled) is never retried, whatever the peer or `retryIf` says.
   */
  trustRemoteRetryable?: boolean;
}

interface RetryConfig extends BackoffConfig {
  name: string;
  maxAttempts: number;
  budgetMs: number;
  retryIf: ((error: FaultlineError, thrown: unknown) => boolean) | undefined;
  http: boolean;
  budget: RetryBudget | undefined;
  idempotent: boolean;
  trustRemoteRetryable: boolean;
}

function configure(options: RetryOptions): RetryConfig {
  const check = new OptionChecker('FAULTLINE_ERR_INVALID_RETRY_OPTION', 'retry()');
  const o = check.object('options', options);
  const name = checkName(o.name, 'retry()');
  const initialDelayMs = check.int('initialDelayMs', o.initialDelayMs, 100, 0, 2_147_483_647);
  const maxDelayMs = check.int('maxDelayMs', o.maxDelayMs, Math.max(5_000, initialDelayMs), 0, 2_147_483_647);
  if (maxDelayMs < initialDelayMs)
    check.fail('maxDelayMs', `at least initialDelayMs (${initialDelayMs})`, maxDelayMs);
  for (const option of ['http', 'idempotent', 'trustRemoteRetryable'] as const) {
    if (o[option] !== undefined && typeof o[option] !== 'boolean') check.fail(option, 'a boolean', o[option]);
  }
  if (o.method !== undefined && (typeof o.method !== 'string' || !/^[A-Za-z]{1,20}$/.test(o.method))) {
    check.fail('method', 'an HTTP method name such as GET or POST', o.method);
  }
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
    budget: budgetFor(check, o.retryBudget, name),
    idempotent:
      typeof o.idempotent === 'boolean' ? o.idempotent : isIdempotent(o.method as string | undefined),
    trustRemoteRetryable: o.trustRemoteRetryable !== false,
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
    if (n === 1) layer.config.budget?.deposit();
    const inner = n === 1 ? ctx : { signal: ctx.signal, attempt: n };
    let promise: Promise<T>;
    if (op.recording) {
      // No span of ours per attempt: the client spans the attempt makes carry its number.
      op.attempt = n;
      const mark = new AttemptMark(n, layer.config.http);
      promise = context.with(new AttemptContext(op.context, mark), this.next, undefined, inner);
    } else {
      promise = this.next(inner);
    }
    try {
      const value = await promise;
      layer.counts.success++;
      if (op.recording && n > 1) op.span.setAttribute(SPAN.ATTEMPTS, n);
      return value;
    } catch (thrown) {
      return this.failed(thrown, n);
    }
  };

  private async failed(thrown: unknown, n: number): Promise<never> {
    const err = toFaultlineError(thrown);
    this.last = err;
    this.lastThrown = thrown;
    if (this.codes === undefined) this.codes = [];
    this.codes.push(err.code);
    const decision = this.decide(err, thrown, n);
    if (typeof decision === 'string') throw this.giveUp(decision);
    this.layer.counts.retry++;
    if (this.delays === undefined) this.delays = [];
    this.delays.push(decision);
    if (this.op.recording) {
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
    // The peer's word on its own error is bounded: never a retry of what it says is our fault.
    if (err.remote && CALLER_FAULT_CATEGORIES.has(err.category)) return 'not_retryable';
    let retryable: boolean;
    if (config.retryIf) {
      try {
        retryable = config.retryIf(err, thrown) === true;
      } catch {
        retryable = false;
      }
    } else {
      const trusted =
        err.remote && !config.trustRemoteRetryable
          ? specFor(err.code, err.category).retryable
          : err.retryable;
      retryable = trusted && err.code !== 'circuit_open';
    }
    if (!retryable) return err.code === 'circuit_open' ? 'circuit_open' : 'not_retryable';
    if (!config.idempotent && !notSent(err)) return 'not_idempotent';
    if (n >= config.maxAttempts) return 'exhausted';
    const now = Date.now();
    if (this.sequence === undefined) {
      this.sequence = new DelaySequence(config);
      this.firstFailureAt = now;
    }
    const delay = this.sequence.next(err.retryAfterMs);
    if (now - this.firstFailureAt + delay > config.budgetMs) return 'budget';
    if (config.budget !== undefined && !config.budget.withdraw(now)) return 'retry_budget';
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
