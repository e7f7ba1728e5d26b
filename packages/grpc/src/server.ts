import type {
  Metadata,
  MethodDefinition,
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
  ServiceDefinition,
  sendUnaryData,
  UntypedHandleCall,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import { withCorrelation } from './correlation.js';
import { answerFor, type ServerErrorOptions } from './server-status.js';

/** What wrapHandler needs to know of a method (a grpc-js MethodDefinition has it). */
export type MethodShape = Pick<
  MethodDefinition<unknown, unknown>,
  'path' | 'requestStream' | 'responseStream'
>;

type CallbackCall = ServerUnaryCall<unknown, unknown> | ServerReadableStream<unknown, unknown>;
type CallbackHandler = (call: CallbackCall, callback: sendUnaryData<unknown>) => unknown;
type StreamCall = ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>;
type StreamHandler = (call: StreamCall) => unknown;

/**
 * Wraps every handler of a service implementation (see wrapHandler). Use it where the
 * implementation is registered: `server.addService(def, withFaultline(def, impl))`.
 * Keys the definition does not name are passed through untouched.
 */
export function withFaultline<T extends UntypedServiceImplementation>(
  service: ServiceDefinition,
  implementation: T,
  options: ServerErrorOptions = {},
): T {
  const wrapped: UntypedServiceImplementation = { ...implementation };
  for (const [name, method] of Object.entries(service)) {
    // grpc-js finds a handler under the method's name or its original (camelCase) name.
    for (const key of new Set([name, method.originalName])) {
      if (key === undefined) continue;
      const handler = implementation[key];
      // Bound as grpc-js binds it: class-based implementations keep their `this`.
      if (typeof handler === 'function')
        wrapped[key] = wrapHandler(method, handler.bind(implementation) as UntypedHandleCall, options);
    }
  }
  return wrapped as T;
}

/**
 * One handler, answering whatever it throws, rejects with, calls back with or emits as `error`
 * with the structured error: the status code of docs/architecture.md "Wire mapping", a safe message and
 * `grpc-status-details-bin`; the error is recorded on the server span active when the call started.
 */
export function wrapHandler(
  method: MethodShape,
  handler: UntypedHandleCall,
  options: ServerErrorOptions = {},
): UntypedHandleCall {
  return method.responseStream
    ? wrapStreaming(method.path, handler as StreamHandler, options)
    : wrapCallback(method.path, handler as CallbackHandler, options);
}

/** Runs a handler; a synchronous throw or a rejected returned promise goes to `fail` (a tick later). */
function guarded(run: () => unknown, fail: (reason: unknown) => void): void {
  new Promise<unknown>((resolve) => resolve(run())).catch(fail);
}

/** Unary and client-streaming methods: the answer goes through the callback, once. */
function wrapCallback(path: string, handler: CallbackHandler, options: ServerErrorOptions): CallbackHandler {
  return function (this: unknown, call, callback) {
    const span = trace.getActiveSpan();
    const headers = correlateHeaders(call, span, options);
    let answered = false;
    // Whatever was thrown is an error, even `null`; a callback's falsy first argument is not.
    const fail = (value: unknown, trailer?: Metadata) => {
      if (answered) return;
      answered = true;
      const { status } = answerFor(
        value,
        { span, method: path, trailer: trailer ?? trailerOf(value) },
        options,
      );
      status.metadata = correlated(status.metadata, span, options) ?? status.metadata;
      headers.ensure();
      callback(status, null);
    };
    const respond: sendUnaryData<unknown> = (err, value, trailer, flags) => {
      if (err !== null && err !== undefined) {
        fail(err, trailer);
        return;
      }
      if (answered) return;
      answered = true;
      headers.ensure();
      callback(null, value, correlated(trailer?.clone(), span, options), flags);
    };
    guarded(() => handler.call(this, call, respond), fail);
  } as CallbackHandler;
}

/**
 * Server-streaming and bidi methods: grpc-js turns the stream's `error` event into the status,
 * so the first error emitted (by the handler, or by us for a throw) is replaced by ours, and any
 * later one repeats it rather than overwrite the pending status.
 */
function wrapStreaming(path: string, handler: StreamHandler, options: ServerErrorOptions): StreamHandler {
  return function (this: unknown, call) {
    const span = trace.getActiveSpan();
    const headers = correlateHeaders(call, span, options);
    const emit = call.emit;
    let answer: unknown;
    call.emit = function (this: StreamCall, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'error') {
        if (answer === undefined) {
          const { status } = answerFor(args[0], { span, method: path, trailer: trailerOf(args[0]) }, options);
          status.metadata = correlated(status.metadata, span, options) ?? status.metadata;
          answer = status;
          headers.ensure();
        }
        return emit.call(this, event, answer, ...args.slice(1));
      }
      return emit.call(this, event, ...args);
    } as typeof call.emit;
    // A stream that ends well names the trace in its trailers too.
    const end = call.end;
    call.end = function (this: StreamCall, metadata?: Metadata) {
      headers.ensure();
      return end.call(this, correlated(metadata?.clone(), span, options));
    } as typeof call.end;
    const write = call.write;
    call.write = function (this: StreamCall, ...args: Parameters<typeof call.write>) {
      headers.ensure();
      return write.apply(this, args);
    } as typeof call.write;
    guarded(
      () => handler.call(this, call),
      (thrown) => call.emit('error', thrown),
    );
  };
}

/**
 * The initial metadata (headers) of the answer names the trace too: the handler's own headers get
 * the keys added when it sends them; otherwise ours are sent just before the first message or the
 * status. (instrumentation-grpc drops the trailers a unary handler passes to its callback, so on a
 * unary success the headers are where a caller finds them.)
 */
function correlateHeaders(
  call: { sendMetadata(metadata: Metadata): void },
  span: ReturnType<typeof trace.getActiveSpan>,
  options: ServerErrorOptions,
): { ensure(): void } {
  if (options.traceResponse === false) return { ensure() {} };
  let sent = false;
  const send = call.sendMetadata;
  call.sendMetadata = function (this: unknown, metadata: Metadata) {
    sent = true;
    return send.call(this, withCorrelation(metadata.clone(), span) ?? metadata);
  };
  return {
    ensure() {
      if (sent) return;
      const metadata = withCorrelation(undefined, span);
      if (metadata === undefined) return;
      try {
        call.sendMetadata(metadata);
      } catch {
        // A call already answered: nothing more to send.
      }
    },
  };
}

function correlated(
  trailer: Metadata | undefined,
  span: ReturnType<typeof trace.getActiveSpan>,
  options: ServerErrorOptions,
): Metadata | undefined {
  return options.traceResponse === false ? trailer : withCorrelation(trailer, span);
}

/**
 * A plain status object (`{ code, details, metadata }`) carries trailers its author meant to send:
 * they are kept. An Error's `metadata` is not: on a ServiceError it is another service's trailers.
 */
function trailerOf(value: unknown): Metadata | undefined {
  if (value === null || typeof value !== 'object' || value instanceof Error) return undefined;
  try {
    const metadata = (value as { metadata?: unknown }).metadata;
    return metadata !== null &&
      typeof metadata === 'object' &&
      typeof (metadata as Metadata).clone === 'function' &&
      typeof (metadata as Metadata).set === 'function'
      ? (metadata as Metadata)
      : undefined;
  } catch {
    return undefined;
  }
}
