import { type FaultlineError, isFaultlineError, toFaultlineError } from '@faultline/errors';
import { type CallOptions, type Client, Metadata } from '@grpc/grpc-js';
import { type CallContext, errorFromStatus, type StatusLike } from './decode.js';
import { FaultlineGrpcUsageError } from './usage-error.js';

export interface UnaryCallOptions {
  metadata?: Metadata;
  callOptions?: CallOptions;
}

interface MethodFunction {
  (
    request: unknown,
    metadata: Metadata,
    options: CallOptions,
    callback: (err: unknown, value?: unknown) => void,
  ): unknown;
  path?: unknown;
  requestStream?: unknown;
  responseStream?: unknown;
}

/**
 * The FaultlineError a failed call stands for: the one faultlineInterceptor attached
 * (`err.faultline`), else rebuilt from the ServiceError's status, else classified. Never throws.
 */
export function faultlineErrorOf(value: unknown, context: CallContext = {}): FaultlineError {
  try {
    const attached = (value as { faultline?: unknown } | null)?.faultline;
    const code = (value as { code?: unknown } | null)?.code;
    if (value instanceof Error && typeof code === 'number') {
      const err = isFaultlineError(attached)
        ? attached
        : errorFromStatus(value as unknown as StatusLike, context);
      // Where the caller made the call (grpc-js appends "for call at"): more use than a decoder's frames.
      Object.defineProperty(err, 'stack', { value: value.stack, writable: true, configurable: true });
      return err;
    }
    if (isFaultlineError(attached)) return attached;
  } catch {
    // Fall through to the classifier, which takes anything.
  }
  return toFaultlineError(value);
}

/**
 * A unary method of a grpc-js client as a function returning a promise that rejects with a
 * FaultlineError (faultlineErrorOf). Throws FAULTLINE_ERR_GRPC_NO_SUCH_METHOD or
 * FAULTLINE_ERR_GRPC_NOT_UNARY at once for a wrong method name.
 */
export function promisifyUnary<Request = unknown, Response = unknown>(
  client: Client,
  method: string,
): (request: Request, options?: UnaryCallOptions) => Promise<Response> {
  const fn = (client as unknown as Record<string, unknown>)[method] as MethodFunction | undefined;
  if (typeof fn !== 'function') {
    throw new FaultlineGrpcUsageError(
      'FAULTLINE_ERR_GRPC_NO_SUCH_METHOD',
      `the client has no method ${JSON.stringify(method).slice(0, 80)}`,
    );
  }
  if (fn.requestStream === true || fn.responseStream === true) {
    throw new FaultlineGrpcUsageError(
      'FAULTLINE_ERR_GRPC_NOT_UNARY',
      `${method} is a streaming method; promisifyUnary takes unary methods only`,
    );
  }
  const path = typeof fn.path === 'string' ? fn.path : undefined;
  return (request, options = {}) =>
    new Promise<Response>((resolve, reject) => {
      const callOptions = options.callOptions ?? {};
      fn.call(client, request, options.metadata ?? new Metadata(), callOptions, (err, value) => {
        if (err === null || err === undefined) resolve(value as Response);
        else reject(faultlineErrorOf(err, { method: path, deadline: callOptions.deadline }));
      });
    });
}
