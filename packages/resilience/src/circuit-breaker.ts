import { type ErrorCategory, FaultlineError } from '@faultline/errors';
import { CALLER_FAULT_CATEGORIES } from '@faultline/errors/internal';
import {
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  ConstantBackoff,
  CountBreaker,
  circuitBreaker as cockatielBreaker,
  ExponentialBackoff,
  type IBackoff,
  type IBackoffFactory,
  type IBreaker,
  type IHalfOpenAfterBackoffContext,
  isBrokenCircuitError,
  isTaskCancelledError,
  noJitterGenerator,
  SamplingBreaker,
} from 'cockatiel';
import { cancelledError, handleClassified } from './errors.js';
import { checkName, OptionChecker } from './options.js';
import { type ExecutionContext, type Layer, LayeredPolicy, type Operation } from './policy.js';
import {
  addStateSource,
  countRejection,
  countTransition,
  removeStateSource,
  SPAN,
  type StateSource,
  stateSource,
} from './telemetry.js';
import { ResilienceUsageError } from './usage-error.js';

/** When the breaker opens. */
export type BreakerSpec =
  /** Opens after `threshold` failures in a row. */
  | { kind: 'consecutive'; threshold: number }
  /** Opens when more than `threshold` (0..1) of the calls in the last `durationMs` failed, at `minimumRps` or more. */
  | { kind: 'sampling'; threshold: number; durationMs: number; minimumRps?: number }
  /** Opens when more than `threshold` (0..1) of the last `size` calls failed, after `minimumCalls` calls. */
  | { kind: 'count'; threshold: number; size: number; minimumCalls?: number };

export interface CircuitBreakerOptions {
  /** The `breaker` attribute of the circuit metrics and the name health() reports. Required, unique. */
  name: string;
  /** Default `{ kind: 'consecutive', threshold: 5 }`. */
  breaker?: BreakerSpec;
  /**
   * How long the circuit stays open before a probe is let through (half-open): a fixed number of
   * ms, or an exponential backoff across consecutive re-openings. Default 10000.
   */
  halfOpenAfterMs?: number | { initialMs: number; maxMs: number };
  /** Probe with `calls` calls while half-open and re-open when more than `threshold` (0..1) of them fail. Default one call, no failure. */
  halfOpenSampling?: { calls: number; threshold: number };
  /**
   * Whether an error counts against the dependency. Default: everything except caller mistakes and
   * cancellations (validation, authentication, authorization, not_found, conflict, cancelled,
   * configuration) and an inner breaker's `circuit_open`. Other errors pass through uncounted.
   */
  isFailure?: (error: FaultlineError, thrown: unknown) => boolean;
}

export type CircuitStateName = 'closed' | 'half_open' | 'open';

/** The faultline.circuit.state gauge values. */
export const CIRCUIT_STATE_VALUES: Readonly<Record<CircuitStateName, number>> = Object.freeze({
  closed: 0,
  half_open: 1,
  open: 2,
});

const NOT_DEPENDENCY_FAILURES: ReadonlySet<ErrorCategory> = new Set([
  ...CALLER_FAULT_CATEGORIES,
  'configuration',
]);

export function defaultIsFailure(error: FaultlineError): boolean {
  return !NOT_DEPENDENCY_FAILURES.has(error.category) && error.code !== 'circuit_open';
}

function stateName(state: CircuitState): CircuitStateName {
  if (state === CircuitState.Closed) return 'closed';
  if (state === CircuitState.HalfOpen) return 'half_open';
  return 'open'; // Open, and Isolated (held open by hand)
}

/**
 * Remembers the last duration cockatiel drew from the half-open backoff, so a rejection can say
 * how long until the next probe (cockatiel keeps that in private state).
 */
class RecordingBackoff implements IBackoffFactory<IHalfOpenAfterBackoffContext> {
  last = 0;
  constructor(private readonly inner: IBackoffFactory<IHalfOpenAfterBackoffContext>) {}

  next(context: IHalfOpenAfterBackoffContext): IBackoff<IHalfOpenAfterBackoffContext> {
    return this.record(this.inner.next(context));
  }

  private record(backoff: IBackoff<IHalfOpenAfterBackoffContext>): IBackoff<IHalfOpenAfterBackoffContext> {
    this.last = backoff.duration;
    return { duration: backoff.duration, next: (context) => this.record(backoff.next(context)) };
  }
}

interface BreakerConfig {
  name: string;
  breaker: IBreaker;
  halfOpen: RecordingBackoff;
  halfOpenSampling: { calls: number; threshold: number } | undefined;
  isFailure: (error: FaultlineError, thrown: unknown) => boolean;
}

function configure(options: CircuitBreakerOptions): BreakerConfig {
  const check = new OptionChecker('FAULTLINE_ERR_INVALID_BREAKER_OPTION', 'circuitBreaker()');
  const o = check.object('options', options);
  const name = checkName(o.name, 'circuitBreaker()');
  const where = new OptionChecker('FAULTLINE_ERR_INVALID_BREAKER_OPTION', `circuitBreaker('${name}')`);
  const isFailure = where.fn<BreakerConfig['isFailure']>('isFailure', o.isFailure) ?? defaultIsFailure;
  let halfOpenSampling: BreakerConfig['halfOpenSampling'];
  if (o.halfOpenSampling !== undefined) {
    const s = where.object('halfOpenSampling', o.halfOpenSampling);
    halfOpenSampling = {
      calls: where.int('halfOpenSampling.calls', s.calls, 1, 1, 10_000),
      threshold: where.fraction('halfOpenSampling.threshold', s.threshold, 0, 'from0'),
    };
  }
  return {
    name,
    breaker: breakerFor(where, o.breaker),
    halfOpen: halfOpenFor(where, o.halfOpenAfterMs),
    halfOpenSampling,
    isFailure,
  };
}

function breakerFor(check: OptionChecker, value: unknown): IBreaker {
  if (value === undefined) return new ConsecutiveBreaker(5);
  const spec = check.object('breaker', value);
  const kind = check.oneOf(
    'breaker.kind',
    spec.kind,
    ['consecutive', 'sampling', 'count'] as const,
    'consecutive',
  );
  if (kind === 'consecutive') {
    return new ConsecutiveBreaker(check.int('breaker.threshold', spec.threshold ?? 5, 5, 1));
  }
  if (spec.threshold === undefined)
    check.fail('breaker.threshold', 'a number strictly between 0 and 1', undefined);
  const threshold = check.fraction('breaker.threshold', spec.threshold, 0.5, 'open');
  if (kind === 'sampling') {
    const durationMs = check.int('breaker.durationMs', spec.durationMs, 30_000, 100, 86_400_000);
    if (spec.minimumRps !== undefined && !(typeof spec.minimumRps === 'number' && spec.minimumRps > 0)) {
      check.fail('breaker.minimumRps', 'a number above 0', spec.minimumRps);
    }
    return new SamplingBreaker({
      threshold,
      duration: durationMs,
      ...(spec.minimumRps !== undefined ? { minimumRps: spec.minimumRps as number } : {}),
    });
  }
  const size = check.int('breaker.size', spec.size, 100, 1, 100_000);
  const minimumCalls = check.int('breaker.minimumCalls', spec.minimumCalls, size, 1, size);
  return new CountBreaker({ threshold, size, minimumNumberOfCalls: minimumCalls });
}

function halfOpenFor(check: OptionChecker, value: unknown): RecordingBackoff {
  if (value === undefined || typeof value === 'number') {
    return new RecordingBackoff(new ConstantBackoff(check.ms('halfOpenAfterMs', value, 10_000, 1)));
  }
  const o = check.object('halfOpenAfterMs', value);
  const initialMs = check.int('halfOpenAfterMs.initialMs', o.initialMs, 10_000, 1, 2_147_483_647);
  const maxMs = check.int('halfOpenAfterMs.maxMs', o.maxMs, Math.max(initialMs, 300_000), 1, 2_147_483_647);
  if (maxMs < initialMs) check.fail('halfOpenAfterMs.maxMs', `at least initialMs (${initialMs})`, maxMs);
  return new RecordingBackoff(
    new ExponentialBackoff({
      generator: noJitterGenerator as never,
      initialDelay: initialMs,
      maxDelay: maxMs,
    }),
  );
}

class BreakerLayer implements Layer, StateSource {
  readonly label: string;
  readonly name: string;
  readonly policy: CircuitBreakerPolicy;
  private readonly rejectionAttributes: { breaker: string };
  private state: CircuitStateName = 'closed';
  private openedAt = 0;
  private openFor: number | undefined;
  private readonly subscription: { dispose(): void };

  constructor(private readonly config: BreakerConfig) {
    this.name = config.name;
    this.label = `circuit_breaker:${config.name}`;
    this.rejectionAttributes = { breaker: config.name };
    this.policy = cockatielBreaker(handleClassified(config.isFailure), {
      breaker: config.breaker,
      halfOpenAfter: config.halfOpen,
      ...(config.halfOpenSampling ? { halfOpenSampling: config.halfOpenSampling } : {}),
    });
    this.subscription = this.policy.onStateChange((next) => this.changed(next));
  }

  private changed(next: CircuitState): void {
    if (next === CircuitState.Open) {
      // cockatiel stamps openedAt with Date.now() right before it emits.
      this.openedAt = Date.now();
      this.openFor = this.config.halfOpen.last;
    } else if (next === CircuitState.Isolated) {
      this.openFor = undefined;
    }
    const to = stateName(next);
    if (to !== this.state) {
      countTransition(this.name, this.state, to);
      this.state = to;
    }
  }

  get stateName(): CircuitStateName {
    return stateName(this.policy.state);
  }

  stateValue(): number {
    return CIRCUIT_STATE_VALUES[this.stateName];
  }

  /** Time until the open circuit lets a probe through; undefined unless open (or when held open by hand). */
  retryAfterMs(): number | undefined {
    if (this.policy.state !== CircuitState.Open || this.openFor === undefined) return undefined;
    return Math.max(1, Math.ceil(this.openedAt + this.openFor - Date.now()));
  }

  run<T>(next: (ctx: ExecutionContext) => Promise<T>, ctx: ExecutionContext, op: Operation): Promise<T> {
    const before = op.recording ? this.policy.state : undefined;
    return this.policy
      .execute(() => next(ctx), ctx.signal)
      .then(
        (value) => {
          if (before !== undefined) this.annotate(op, before);
          return value;
        },
        (thrown: unknown) => {
          if (isBrokenCircuitError(thrown)) throw this.reject(op);
          if (isTaskCancelledError(thrown)) throw cancelledError(ctx.signal, thrown);
          if (before !== undefined) this.annotate(op, before);
          throw thrown;
        },
      );
  }

  /** The call that moved the breaker says so on its span. */
  private annotate(op: Operation, before: CircuitState): void {
    const after = this.policy.state;
    if (after === before) return;
    op.event(SPAN.EVENT_TRANSITION, {
      [SPAN.BREAKER]: this.name,
      [SPAN.CIRCUIT_FROM]: stateName(before),
      [SPAN.CIRCUIT_STATE]: stateName(after),
    });
  }

  private reject(op: Operation): FaultlineError {
    countRejection(this.rejectionAttributes);
    const retryAfterMs = this.retryAfterMs();
    if (op.recording) {
      op.event(SPAN.EVENT_REJECTED, {
        [SPAN.BREAKER]: this.name,
        ...(retryAfterMs !== undefined ? { 'faultline.retry_after_ms': retryAfterMs } : {}),
      });
    }
    return new FaultlineError({
      code: 'circuit_open',
      message: `circuit breaker '${this.name}' is open`,
      details: { breaker: this.name },
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

export class CircuitBreakerFaultlinePolicy extends LayeredPolicy {
  private readonly layer: BreakerLayer;
  private disposed = false;

  constructor(config: BreakerConfig) {
    const layer = new BreakerLayer(config);
    super(config.name, 'circuit_breaker', [layer]);
    this.layer = layer;
    addStateSource(layer);
  }

  /** 'closed', 'half_open' or 'open' (also while held open by isolate()). */
  get state(): CircuitStateName {
    return this.layer.stateName;
  }

  /** When open: ms until a probe is let through (what a rejection's retryAfterMs says). */
  retryAfterMs(): number | undefined {
    return this.layer.retryAfterMs();
  }

  /** The underlying cockatiel policy (its events, toJSON()); calls made on it directly bypass telemetry. */
  get cockatiel(): CircuitBreakerPolicy {
    return this.layer.policy;
  }

  /** Holds the circuit open (maintenance, a known-bad dependency) until the handle is disposed. */
  isolate(): { dispose(): void } {
    return this.layer.policy.isolate();
  }

  /** Stops reporting this breaker (gauge, health) and frees its name. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    removeStateSource(this.layer);
    this.layer.dispose();
  }
}

/**
 * A circuit breaker on cockatiel's, with consecutive, sampling and count breakers and half-open
 * probing. While open it rejects at once with `circuit_open` (retryable, retryAfterMs = time until
 * the next probe). Its state is the faultline.circuit.state gauge; transitions and rejections are
 * counted, all labelled `breaker` = name. Create it once and share it: that is what makes it count.
 */
export function circuitBreaker(options: CircuitBreakerOptions): CircuitBreakerFaultlinePolicy {
  const config = configure(options);
  if (stateSource(config.name) !== undefined) {
    throw new ResilienceUsageError(
      'FAULTLINE_ERR_DUPLICATE_BREAKER_NAME',
      `a circuit breaker named '${config.name}' already exists; a breaker only works when shared: create it once (module scope) and reuse it, or dispose() the old one before creating another`,
    );
  }
  return new CircuitBreakerFaultlinePolicy(config);
}
