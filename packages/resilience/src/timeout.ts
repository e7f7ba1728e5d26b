import { FaultlineError } from '@faultline/errors';
import {
  timeout as cockatielTimeout,
  isTaskCancelledError,
  type TimeoutPolicy,
  TimeoutStrategy,
} from 'cockatiel';
import { cancelledError } from './errors.js';
import { OptionChecker } from './options.js';
import { type ExecutionContext, type Layer, LayeredPolicy, type Operation } from './policy.js';
import { SPAN } from './telemetry.js';

export const TIMEOUT_STRATEGIES = ['aggressive', 'cooperative'] as const;
/**
 * - `aggressive`: the call rejects at the deadline, whether or not the function has stopped.
 * - `cooperative`: the signal is aborted at the deadline and the call waits for the function to
 *   honour it (a function that finishes anyway returns its value).
 */
export type TimeoutStrategyName = (typeof TIMEOUT_STRATEGIES)[number];

export interface TimeoutOptions {
  /** Names the policy on spans. Default 'timeout'. */
  name?: string;
  /** The deadline, in ms. Required. */
  ms: number;
  /** Default 'aggressive'. */
  strategy?: TimeoutStrategyName;
}

interface TimeoutConfig {
  name: string;
  ms: number;
  strategy: TimeoutStrategyName;
}

function configure(options: TimeoutOptions): TimeoutConfig {
  const check = new OptionChecker('FAULTLINE_ERR_INVALID_TIMEOUT_OPTION', 'timeout()');
  const o = check.object('options', options);
  check.required('ms', o.ms, 'a number of milliseconds from 1 to 2147483647');
  return {
    name: check.name(o.name, 'timeout'),
    ms: check.ms('ms', o.ms, 0, 1),
    strategy: check.oneOf('strategy', o.strategy, TIMEOUT_STRATEGIES, 'aggressive'),
  };
}

class TimeoutLayer implements Layer {
  readonly label: string;
  private readonly policy: TimeoutPolicy;

  constructor(private readonly config: TimeoutConfig) {
    this.label = `timeout:${config.name}`;
    // abortOnReturn false: the signal then means "deadline passed or caller aborted", never "the
    // function returned" (which would also break a response body still being read).
    this.policy = cockatielTimeout(config.ms, {
      strategy: config.strategy === 'aggressive' ? TimeoutStrategy.Aggressive : TimeoutStrategy.Cooperative,
      abortOnReturn: false,
    });
  }

  run<T>(next: (ctx: ExecutionContext) => Promise<T>, ctx: ExecutionContext, op: Operation): Promise<T> {
    let inner: AbortSignal | undefined;
    return this.policy
      .execute((c) => {
        inner = c.signal;
        return next({ signal: c.signal, attempt: ctx.attempt });
      }, ctx.signal)
      .then(undefined, (thrown: unknown) => {
        // cockatiel's signal for the call aborts for the deadline or for the caller: tell them apart.
        if (inner?.aborted && !ctx.signal.aborted) throw this.timedOut(op, thrown);
        if (isTaskCancelledError(thrown)) throw cancelledError(ctx.signal, thrown);
        throw thrown;
      });
  }

  private timedOut(op: Operation, thrown: unknown): FaultlineError {
    const { name, ms, strategy } = this.config;
    if (op.recording) {
      op.event(SPAN.EVENT_TIMEOUT, {
        [SPAN.POLICY]: name,
        [SPAN.TIMEOUT_MS]: ms,
        [SPAN.TIMEOUT_STRATEGY]: strategy,
      });
    }
    return new FaultlineError({
      code: 'operation_timeout',
      message: `'${name}' did not finish within ${ms} ms`,
      cause: thrown,
      captureStack: false,
      details: { policy: name, timeoutMs: ms, strategy },
    });
  }
}

export class TimeoutFaultlinePolicy extends LayeredPolicy {
  readonly options: Readonly<TimeoutConfig>;
  constructor(config: TimeoutConfig) {
    super(config.name, 'timeout', [new TimeoutLayer(config)]);
    this.options = Object.freeze({ ...config });
  }
}

/**
 * A deadline on cockatiel's timeout. Past it the call fails with `operation_timeout` (category
 * timeout, retryable) whose cause is what the function threw, if anything.
 */
export function timeout(options: TimeoutOptions): TimeoutFaultlinePolicy {
  return new TimeoutFaultlinePolicy(configure(options));
}
