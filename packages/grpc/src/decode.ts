import {
  FaultlineError,
  faultlineConfig,
  fromGrpcStatus,
  GRPC_STATUS_DETAILS_KEY,
  GrpcCode,
} from '@faultline/errors';
import { DEFAULT_ERROR_DOMAIN } from '@faultline/errors/internal';
import type { Deadline } from '@grpc/grpc-js';

/** What the client knows of the call besides its status. */
export interface CallContext {
  /** The method path, `/package.Service/Method`. */
  method?: string | undefined;
  /** The caller's deadline, as given in the call options. */
  deadline?: Deadline | undefined;
  /** The caller cancelled the call itself. */
  cancelledByCaller?: boolean | undefined;
  /** Name of the called service, for answers that do not name their origin. */
  service?: string | undefined;
  /** Correlation ID for answers that carry none (the client span's trace ID). */
  traceId?: string | undefined;
}

/** A status as grpc-js hands it to a listener or a callback (`details` is the message). */
export interface StatusLike {
  code?: unknown;
  details?: unknown;
  metadata?: unknown;
}

// grpc-js fires the client's deadline timer at the deadline; a status arriving this close to it
// without details is the caller's deadline, whichever side noticed first.
const DEADLINE_SLACK_MS = 50;

function deadlineMs(deadline: Deadline | undefined): number | undefined {
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return typeof ms === 'number' && Number.isFinite(ms) ? ms : undefined;
}

function hasDetails(metadata: unknown): boolean {
  try {
    const get = (metadata as { get?: (key: string) => unknown[] } | null)?.get;
    return typeof get === 'function' && get.call(metadata, GRPC_STATUS_DETAILS_KEY).length > 0;
  } catch {
    return false;
  }
}

/** `/pkg.Service/Method` → `pkg.Service`. */
function serviceOfMethod(method: string | undefined): string | undefined {
  const match = method === undefined ? null : /^\/([^/]+)\//.exec(method);
  return match?.[1];
}

function locally(code: string, message: string, status: StatusLike, context: CallContext): FaultlineError {
  const deadline = deadlineMs(context.deadline);
  return new FaultlineError({
    code,
    message,
    captureStack: false,
    details: {
      grpcCode: status.code,
      ...(context.method !== undefined ? { method: context.method } : {}),
      ...(deadline !== undefined ? { deadline: new Date(deadline).toISOString() } : {}),
      ...(typeof status.details === 'string' ? { grpcMessage: status.details.slice(0, 512) } : {}),
    },
    ...(context.traceId !== undefined ? { correlationId: context.traceId } : {}),
  });
}

/**
 * Rebuilds the FaultlineError a failed call stands for. From the rich status details when there
 * are any (garbage falls back to the status code); marked remote, with the origin service (the
 * wire's, else `context.service`, else ErrorInfo.domain, else the gRPC service name). A
 * DEADLINE_EXCEEDED without details once the caller's deadline has passed is the caller's own
 * `deadline_exceeded` (category timeout, not remote); so is a CANCELLED the caller asked for.
 * Never throws.
 */
export function errorFromStatus(status: StatusLike, context: CallContext = {}): FaultlineError {
  try {
    if (!hasDetails(status.metadata)) {
      const deadline = deadlineMs(context.deadline);
      if (
        status.code === GrpcCode.DEADLINE_EXCEEDED &&
        deadline !== undefined &&
        Date.now() + DEADLINE_SLACK_MS >= deadline
      ) {
        return locally(
          'deadline_exceeded',
          `deadline exceeded calling ${context.method ?? 'a gRPC method'}`,
          status,
          context,
        );
      }
      if (status.code === GrpcCode.CANCELLED && context.cancelledByCaller) {
        return locally(
          'cancelled',
          `call to ${context.method ?? 'a gRPC method'} cancelled by the caller`,
          status,
          context,
        );
      }
    }
    const decoded = fromGrpcStatus({ code: status.code, details: status.details, metadata: status.metadata });
    // fromGrpcStatus stamps this process's service on errors whose wire names none.
    const wireService = decoded.service !== faultlineConfig().service ? decoded.service : undefined;
    const domain = decoded.details.domain;
    const origin =
      wireService ??
      context.service ??
      (typeof domain === 'string' && domain !== DEFAULT_ERROR_DOMAIN ? domain : undefined) ??
      serviceOfMethod(context.method);
    return decoded.with({
      service: origin,
      correlationId: decoded.correlationId ?? context.traceId,
      details:
        context.method !== undefined ? { ...decoded.details, method: context.method } : decoded.details,
    });
  } catch {
    return new FaultlineError({ code: 'unknown_error', message: 'undecodable gRPC status', remote: true });
  }
}
