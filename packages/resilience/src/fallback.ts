import { ATTR, type FaultlineError, toFaultlineError } from '@faultline/errors';
import { fallback as cockatielFallback, type FallbackPolicy } from 'cockatiel';
import { handleClassified } from './errors.js';
import { OptionChecker } from './options.js';
import { outcomes } from './outcomes.js';
import { type ExecutionContext, type Layer, LayeredPolicy, type Operation } from './policy.js';
import { SPAN } from './telemetry.js';

export interface FallbackOptions<R> {
  /** Names the policy on spans. Default 'fallback'. */
  name?: string;
  /** The answer when the operation fails (give this or `factory`). */
  value?: R;
  /** Builds the answer from the failure (give this or `value`); what it throws is the operation's error. */
  factory?: (error: FaultlineError, thrown: unknown) => R | PromiseLike<R>;
  /** Which failures to degrade gracefully on. Default: all but `cancelled` (the caller gave up). */
  when?: (error: FaultlineError, thrown: unknown) => boolean;
}

interface FallbackConfig<R> {
  name: string;
  factory: (error: FaultlineError, thrown: unknown) => R | PromiseLike<R>;
  when: (error: FaultlineError, thrown: unknown) => boolean;
}

const defaultWhen = (error: FaultlineError): boolean => error.category !== 'cancelled';

function configure<R>(options: FallbackOptions<R>): FallbackConfig<R> {
  const check = new OptionChecker('FAULTLINE_ERR_INVALID_FALLBACK_OPTION', 'fallback()');
  const o = check.object('options', options);
  const hasValue = 'value' in o;
  const factory = check.fn<FallbackConfig<R>['factory']>('factory', o.factory);
  if (hasValue === (factory !== undefined)) {
    check.fail(
      'value/factory',
      'exactly one of them (a value, or a function of the error)',
      hasValue ? 'both' : 'neither',
    );
  }
  const value = o.value as R;
  return {
    name: check.name(o.name, 'fallback'),
    factory: factory ?? (() => value),
    when: check.fn<FallbackConfig<R>['when']>('when', o.when) ?? defaultWhen,
  };
}

/** What cockatiel's fallback answers: we then call the factory with the error cockatiel does not pass on. */
const FELL_BACK: unique symbol = Symbol('faultline.fallback');

class FallbackLayer<R> implements Layer {
  readonly label: string;
  private readonly policy: FallbackPolicy<typeof FELL_BACK>;

  constructor(private readonly config: FallbackConfig<R>) {
    this.label = `fallback:${config.name}`;
    this.policy = cockatielFallback(handleClassified(config.when), () => FELL_BACK);
  }

  run<T>(next: (ctx: ExecutionContext) => Promise<T>, ctx: ExecutionContext, op: Operation): Promise<T> {
    let caught: unknown;
    const attempt = () =>
      next(ctx).catch((thrown: unknown) => {
        caught = thrown;
        throw thrown;
      });
    return this.policy
      .execute(attempt, ctx.signal)
      .then((value) => (value === FELL_BACK ? this.degrade(caught, op) : value)) as Promise<T>;
  }

  /** Graceful degradation: recorded on the operation as a fallback, not as its error. */
  private degrade(thrown: unknown, op: Operation): R | PromiseLike<R> {
    const err = toFaultlineError(thrown);
    outcomes.fellBack();
    if (op.recording) {
      op.span.setAttribute(SPAN.FALLBACK, true);
      op.span.addEvent(SPAN.EVENT_FALLBACK, {
        [SPAN.POLICY]: this.config.name,
        [ATTR.ERROR_TYPE]: err.code,
        [ATTR.CODE]: err.code,
        [ATTR.CATEGORY]: err.category,
      });
    }
    return this.config.factory(err, thrown);
  }
}

export class FallbackFaultlinePolicy<R> extends LayeredPolicy<R> {
  constructor(config: FallbackConfig<R>) {
    super(config.name, 'fallback', [new FallbackLayer(config)]);
  }
}

/**
 * Graceful degradation on cockatiel's fallback: when the operation fails (and `when` agrees) the
 * call answers `value` / `factory(error)` instead. The operation span gets `faultline.fallback=true`
 * and a `faultline.fallback` event; it is not an error of the operation (no error status, not in
 * faultline.errors, a success for health()).
 */
export function fallback<R>(options: FallbackOptions<R>): FallbackFaultlinePolicy<R> {
  return new FallbackFaultlinePolicy(configure(options));
}
