import { recordError } from '@faultline/errors';
import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { outcomes } from './outcomes.js';
import { instruments, SPAN, tracer } from './telemetry.js';
import { ResilienceUsageError } from './usage-error.js';

/** What the protected function receives. */
export interface ExecutionContext {
  /**
   * Aborted when the caller's signal aborts or a timeout policy's deadline passes: hand it to your
   * I/O (fetch, gRPC deadline, database driver) so abandoned work stops.
   */
  readonly signal: AbortSignal;
  /** 1 for the first call, 2 for the first retry, and so on; always 1 outside a retry policy. */
  readonly attempt: number;
}

export type PolicyKind =
  | 'retry'
  | 'circuit_breaker'
  | 'timeout'
  | 'fallback'
  | 'bulkhead'
  | 'wrap'
  | 'cockatiel';

export type PolicyFunction<T> = (context: ExecutionContext) => PromiseLike<T> | T;

/** Every policy of this package: run `fn` through it; `Alt` is what a fallback may answer instead. */
export interface Policy<Alt = never> {
  /** Type-level only (never set): what a fallback in the policy may answer instead of the function's result. */
  readonly _altReturn: Alt;
  readonly name: string;
  readonly kind: PolicyKind;
  execute<T>(fn: PolicyFunction<T>, signal?: AbortSignal): Promise<T | Alt>;
}

/**
 * One execution of a policy chain: the span that stands for it, which every layer annotates.
 * @internal
 */
export class Operation {
  /** The running retry attempt (from 1); 0 outside a retry. */
  attempt = 0;
  constructor(
    readonly span: Span,
    readonly recording: boolean,
    readonly context: Context,
  ) {}

  /** An event on the operation span, with the running attempt's number inside a retry. */
  event(name: string, attributes: Attributes): void {
    this.span.addEvent(name, this.attempt > 0 ? { ...attributes, [SPAN.ATTEMPT]: this.attempt } : attributes);
  }
}

/** One policy's behaviour inside a chain. @internal */
export interface Layer {
  /** `kind:name`, listed on the operation span as faultline.policies. */
  readonly label: string;
  run<T>(next: (ctx: ExecutionContext) => Promise<T>, ctx: ExecutionContext, op: Operation): Promise<T>;
}

const LAYERS = Symbol('faultline.resilience.layers');

// No attributes at creation: the SDK would copy and validate them even for a span it then drops.
const SPAN_OPTIONS = Object.freeze({ kind: SpanKind.INTERNAL });
/** Stands for the operation span under an unsampled parent: not recording, ends as a no-op. */
const NOT_STARTED: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/** Calls fn with a thrown error turned into a rejection, so every layer sees a promise. */
function call<T>(fn: PolicyFunction<T>, ctx: ExecutionContext): Promise<T> {
  try {
    return Promise.resolve(fn(ctx));
  } catch (err) {
    return Promise.reject(err);
  }
}

function through<T>(
  layers: readonly Layer[],
  index: number,
  fn: PolicyFunction<T>,
  ctx: ExecutionContext,
  op: Operation,
): Promise<T> {
  const layer = layers[index];
  if (layer === undefined) return call(fn, ctx);
  return layer.run((inner) => through(layers, index + 1, fn, inner, op), ctx, op);
}

function finish<T>(promise: Promise<T>, op: Operation, name: string): Promise<T> {
  return promise.then(
    (value) => {
      outcomes.success();
      op.span.end();
      return value;
    },
    (thrown: unknown) => {
      // Only the failure that leaves the whole chain is an error of the operation; everything the
      // layers handled (retried attempts, fallbacks) they recorded as events and attributes.
      const err = recordError(op.span, thrown, { spanKind: SpanKind.INTERNAL, operation: name });
      outcomes.failure(err);
      op.span.end();
      throw thrown;
    },
  );
}

/**
 * Runs fn through the layers (outermost first) as one operation: one INTERNAL span, one outcome
 * for health, and recordError only for a failure that escapes every layer.
 */
export function runOperation<T>(
  layers: readonly Layer[],
  name: string,
  attributes: Attributes,
  fn: PolicyFunction<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (typeof fn !== 'function' || (signal !== undefined && !(signal instanceof AbortSignal))) {
    return Promise.reject(
      new ResilienceUsageError(
        'FAULTLINE_ERR_INVALID_EXECUTE',
        `policy '${name}': execute(fn, signal?) needs a function and, optionally, an AbortSignal; got ${typeof fn} and ${typeof signal}`,
      ),
    );
  }
  instruments();
  const parent = context.active();
  const parentSpan = trace.getSpan(parent);
  // Under a parent nobody samples, a parent-based sampler (the SDK's default) drops our span too:
  // skip asking (creating a span the SDK then drops is most of the cost of an unsampled call).
  const span =
    parentSpan !== undefined &&
    !parentSpan.isRecording() &&
    !(parentSpan.spanContext().traceFlags & TraceFlags.SAMPLED)
      ? NOT_STARTED
      : tracer().startSpan(name, SPAN_OPTIONS, parent);
  // A span nobody records changes nothing downstream: skip its attributes and the context switch.
  const recording = span.isRecording();
  if (recording) span.setAttributes(attributes);
  const op = new Operation(span, recording, recording ? trace.setSpan(parent, span) : parent);
  const ctx: ExecutionContext = { signal: signal ?? NEVER_ABORTED, attempt: 1 };
  const promise: Promise<T> = recording
    ? context.with(op.context, through<T>, undefined, layers, 0, fn, ctx, op)
    : through(layers, 0, fn, ctx, op);
  return finish(promise, op, name);
}

/** Base of every policy: a list of layers and the operation runner. */
export class LayeredPolicy<Alt = never> implements Policy<Alt> {
  declare readonly _altReturn: Alt;
  readonly [LAYERS]: readonly Layer[];
  private readonly attributes: Attributes;

  constructor(
    readonly name: string,
    readonly kind: PolicyKind,
    layers: readonly Layer[],
  ) {
    this[LAYERS] = layers;
    this.attributes = Object.freeze({ [SPAN.POLICIES]: layers.map((l) => l.label) });
  }

  execute<T>(fn: PolicyFunction<T>, signal?: AbortSignal): Promise<T | Alt> {
    return runOperation(this[LAYERS], this.name, this.attributes, fn, signal) as Promise<T | Alt>;
  }
}

/** The structural shape of a cockatiel policy, so wrap() can take one as a layer. */
interface CockatielLike {
  execute<T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T>;
}

function isCockatielLike(value: unknown): value is CockatielLike {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as CockatielLike).execute === 'function' &&
    'onSuccess' in value &&
    'onFailure' in value
  );
}

export function layersOf(value: unknown, position: number): readonly Layer[] {
  if (value instanceof LayeredPolicy) return value[LAYERS];
  if (isCockatielLike(value)) {
    const foreign: Layer = {
      label: 'cockatiel',
      run: (next, ctx) =>
        value.execute((c) => next(c.signal === ctx.signal ? ctx : { ...ctx, signal: c.signal }), ctx.signal),
    };
    return [foreign];
  }
  throw new ResilienceUsageError(
    'FAULTLINE_ERR_INVALID_POLICY',
    `wrap(): argument ${position + 1} is not a policy; pass retry(), circuitBreaker(), timeout(), fallback(), bulkhead() (or cockatiel) policies, outermost first`,
  );
}
