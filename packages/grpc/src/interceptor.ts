import { type FaultlineError, recordError } from '@faultline/errors';
import { InterceptingCall, type Interceptor, type ServiceError, status as Status } from '@grpc/grpc-js';
import { isSpanContextValid, type Span, SpanKind, trace } from '@opentelemetry/api';
import { errorFromStatus } from './decode.js';

export interface ClientErrorOptions {
  /** Name of the called service, for answers that do not name their origin. */
  service?: string;
}

/** A grpc-js ServiceError from a client that has faultlineInterceptor: `faultline` is the rebuilt error. */
export type FaultlineServiceError = ServiceError & { faultline?: FaultlineError };

function clientSpan(): Span | undefined {
  const span = trace.getActiveSpan();
  // Only a CLIENT span stands for this call: an enclosing span may well survive the failure.
  return span !== undefined && (span as { kind?: unknown }).kind === SpanKind.CLIENT ? span : undefined;
}

/**
 * A grpc-js client interceptor. Every failed call's status is rebuilt into a FaultlineError
 * (errorFromStatus) that grpc-js copies onto the ServiceError it hands the caller as
 * `err.faultline`; the error is recorded on the active CLIENT span (the one
 * @opentelemetry/instrumentation-grpc starts for the call), so that span carries the remote
 * `error.type`. Install it with `new Client(address, credentials, { interceptors: [...] })`.
 */
export function faultlineInterceptor(options: ClientErrorOptions = {}): Interceptor {
  return (callOptions, nextCall) => {
    const span = clientSpan();
    const spanContext = span?.spanContext();
    const traceId = spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
    let cancelledByCaller = false;
    return new InterceptingCall(nextCall(callOptions), {
      start(metadata, _listener, next) {
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            if (status.code === Status.OK) {
              nextStatus(status);
              return;
            }
            const faultline = errorFromStatus(status, {
              method: callOptions.method_definition.path,
              deadline: callOptions.deadline,
              cancelledByCaller,
              service: options.service,
              traceId,
            });
            if (span)
              recordError(span, faultline, { grpcStatusCode: status.code, spanKind: SpanKind.CLIENT });
            // grpc-js builds the caller's ServiceError with Object.assign(new Error(), status).
            nextStatus({ ...status, faultline } as typeof status);
          },
        });
      },
      cancel(next) {
        cancelledByCaller = true;
        next();
      },
    });
  };
}
