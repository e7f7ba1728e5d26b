import { type Layer, LayeredPolicy, layersOf, type Policy } from './policy.js';
import { ResilienceUsageError } from './usage-error.js';

/** Anything wrap() accepts: this package's policies, or cockatiel's (which then run without telemetry of their own). */
export type Wrappable = Policy<unknown> | CockatielPolicyLike;

interface CockatielPolicyLike {
  readonly _altReturn: unknown;
  execute<T>(
    fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T,
    signal?: AbortSignal,
  ): Promise<unknown>;
}

type AltOf<P> = P extends { readonly _altReturn: infer A } ? A : never;

export class WrappedPolicy<Alt = never> extends LayeredPolicy<Alt> {
  constructor(
    name: string,
    layers: readonly Layer[],
    readonly wrapped: readonly Wrappable[],
  ) {
    super(name, 'wrap', layers);
  }
}

/**
 * Composes policies, outermost first, like cockatiel's wrap: `wrap(retry, breaker, timeout)` runs
 * `retry.execute(() => breaker.execute(() => timeout.execute(fn)))`, but as ONE operation: one span
 * (named after the outermost policy) with a child span per retry attempt, inner layers writing
 * events on the running attempt's span, and only a failure that escapes every layer recorded as
 * the operation's error.
 */
export function wrap<const P extends readonly Wrappable[]>(...policies: P): WrappedPolicy<AltOf<P[number]>> {
  if (policies.length === 0) {
    throw new ResilienceUsageError(
      'FAULTLINE_ERR_INVALID_POLICY',
      'wrap() needs at least one policy, outermost first',
    );
  }
  const layers = policies.flatMap((policy, i) => layersOf(policy, i));
  const first = policies[0];
  const name = first instanceof LayeredPolicy ? first.name : 'cockatiel';
  return new WrappedPolicy(name, layers, policies);
}
