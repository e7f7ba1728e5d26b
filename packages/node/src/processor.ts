import {
  ATTR,
  codeForGrpcStatus,
  codeForHttpStatus,
  FaultlineError,
  toFaultlineError,
} from '@faultline/errors';
import {
  admit,
  countError,
  errorAttributes,
  grpcCodeName,
  recordInFull,
  setCountDeferral,
  spanFailed,
  wasRecorded,
} from '@faultline/errors/internal';
import { type Attributes, type Context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace';
import type { ExceptionSignal } from './config.js';
import { emitExceptionLog, logsEnabled, wasLogged } from './exception-logs.js';
import type { OpenServerSpans } from './open-spans.js';
import {
  deferToRequest,
  linkToRequest,
  noteDerived,
  operationOf,
  type RequestRecord,
  requestOf,
  thrownOn,
} from './request-errors.js';

type MutableSpan = Span & { status: { code: SpanStatusCode; message?: string }; events: TimedEvent[] };

function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/**
 * Applies the @faultline/errors mapping to spans from upstream instrumentations while they can still
 * change: `onEnding` runs before the span is frozen (`onEnd` only sees a read-only span). It
 *  - corrects gRPC SERVER span status to the semantic-convention rule and writes
 *    `rpc.response.status_code` as the code name;
 *  - gives failed spans `error.type` and `faultline.error.*` from the real thrown value the
 *    instrumentation recorded (captured by request-errors.ts), unless recordError already did; a
 *    SERVER span that answered a client error is not ERROR but carries the same attributes;
 *  - counts a request's failures in faultline.errors once, when its root span ends, under the
 *    root's operation (the route template); spans outside any request count on their own;
 *  - moves or copies `exception` events to log records per OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN;
 *  - keeps the bounded set of open SERVER spans that a fatal exception ends (when given one).
 */
export class FaultlineSpanProcessor implements SpanProcessor {
  constructor(
    private readonly exceptionSignal: ExceptionSignal = 'events',
    private readonly openSpans?: OpenServerSpans,
  ) {
    // recordError inside a request leaves its count to the request (see request-errors.ts).
    setCountDeferral(deferToRequest);
  }

  onStart(span: Span, parentContext: Context): void {
    this.openSpans?.started(span);
    try {
      linkToRequest(span, parentContext);
    } catch {
      // Telemetry never throws into the app.
    }
  }

  onEnding(span: Span): void {
    this.openSpans?.ended(span);
    try {
      this.map(span as MutableSpan);
    } catch {
      // Telemetry never throws into the app.
    }
    if (logsEnabled(this.exceptionSignal)) {
      try {
        this.exceptionsToLogs(span as MutableSpan);
      } catch {
        // idem
      }
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  private map(span: MutableSpan): void {
    const attrs = span.attributes;
    const kind = span.kind;
    const isGrpc = attrs['rpc.system'] === 'grpc' || attrs['rpc.system.name'] === 'grpc';
    const grpcStatus = isGrpc
      ? (num(attrs['rpc.grpc.status_code']) ?? num(attrs[ATTR.RPC_RESPONSE_STATUS_CODE]))
      : undefined;
    const httpStatus = num(attrs['http.response.status_code'] ?? attrs['http.status_code']);
    const found = requestOf(span);
    const request = found !== undefined && !found.ended ? found : undefined;
    const isRoot = request !== undefined && request.root === span;
    // Children that end after their root count on their own (their request is over).
    if (isRoot) request.ended = true;

    // An exception recorded on a span that is not the server's answer (a framework's layer span, a
    // client call) failed it: the error went through it. instrumentation-router and -koa record
    // the exception on their layer spans without setting ERROR.
    const raised = kind !== SpanKind.SERVER && (thrownOn(span) !== undefined || hasException(span.events));
    let failed = raised || span.status.code === SpanStatusCode.ERROR;
    // A span that answered a client error: not failed (semantic conventions), but it still says
    // what failed (error.type, faultline.error.*) and the failure is counted. That is the SERVER
    // span, and a framework's INTERNAL request span carrying the same response status
    // (@fastify/otel's) when nothing was thrown through it.
    const answering = kind === SpanKind.SERVER || (kind === SpanKind.INTERNAL && !raised);
    let answeredClientError = false;
    let statusType: string | undefined;
    if (grpcStatus !== undefined) {
      statusType = grpcCodeName(grpcStatus);
      span.setAttribute(ATTR.RPC_RESPONSE_STATUS_CODE, statusType);
      failed = grpcStatus !== 0 && spanFailed(kind, { grpcStatusCode: grpcStatus });
      answeredClientError = kind === SpanKind.SERVER && grpcStatus !== 0 && !failed;
    } else if (httpStatus !== undefined && httpStatus >= 400) {
      statusType = String(httpStatus);
      if (spanFailed(answering ? SpanKind.SERVER : kind, { httpStatusCode: httpStatus })) failed = true;
      else if (answering) {
        failed = false;
        answeredClientError = true;
      }
    }
    if (answering && !failed && span.status.code === SpanStatusCode.ERROR) {
      // setStatus cannot lower ERROR back to UNSET; the span is still ours to correct until it ends.
      span.status = { code: SpanStatusCode.UNSET };
    }

    // Recorded by recordError (its count went to the request, or was made), or described by a
    // Faultline library that set the attributes itself (a resilience attempt span: a handled,
    // retried error that must not be re-labelled or counted).
    const recorded = wasRecorded(span);
    const described = recorded || typeof attrs[ATTR.CODE] === 'string';
    if (described) {
      // recordError wrote error.type = the Faultline code, but an instrumentation may overwrite it
      // when the span ends (instrumentation-http sets the status code on 5xx server spans). The code
      // is the more precise type (docs/architecture.md), so it wins.
      const code = attrs[ATTR.CODE];
      if (typeof code === 'string' && attrs[ATTR.ERROR_TYPE] !== code)
        span.setAttribute(ATTR.ERROR_TYPE, code);
    }
    if (failed && span.status.code !== SpanStatusCode.ERROR) span.setStatus({ code: SpanStatusCode.ERROR });

    let chosen: Labelled | undefined;
    const crashed = this.openSpans?.wasCrashed(span) === true;
    if ((failed || answeredClientError) && !described && !crashed) {
      chosen = this.label(span, request, isRoot, grpcStatus, httpStatus, statusType);
    }
    if (isRoot) {
      // Ended by a crash: the crash was counted once by the process handlers.
      // One macrotask later: when the error that ended the request also ends the process (a
      // synchronous throw instrumentation-http rethrows), the crash handler runs first and counts it
      // as critical; this count then sees it counted and adds nothing.
      // A request that saw no failure (the common case) schedules nothing.
      if (!crashed && (chosen !== undefined || request.thrown.length > 0 || request.derived.length > 0)) {
        const operation = operationOf(span);
        setImmediate(() => countRequest(request, chosen, operation));
      }
    } else if (chosen !== undefined) {
      // In a request, the root counts it (a thrown value is in request.thrown already).
      if (request !== undefined) {
        if (!chosen.fromThrown) noteDerived(request, chosen.err);
      } else countError(chosen.err, operationOf(span));
    }
  }

  /** Writes the error a failed span carries onto it; returns it (for the request's count). */
  private label(
    span: MutableSpan,
    request: RequestRecord | undefined,
    isRoot: boolean,
    grpcStatus: number | undefined,
    httpStatus: number | undefined,
    statusType: string | undefined,
  ): Labelled | undefined {
    // The real thrown value the instrumentation recorded on this span; for a request's root with
    // none of its own, the last one recorded under it (the handler's error, the failed query's).
    let thrown = thrownOn(span);
    if (thrown === undefined && isRoot && request !== undefined) thrown = request.thrown.at(-1);
    const exception = thrown === undefined ? lastException(span.events) : undefined;
    let err: FaultlineError | undefined;
    if (thrown !== undefined) err = classify(thrown, span);
    else if (exception) err = toFaultlineError(errorFromEvent(exception.attributes ?? {}, span.attributes));
    else if (grpcStatus !== undefined)
      err = new FaultlineError({
        code: codeForGrpcStatus(grpcStatus),
        message: span.status.message ?? statusType ?? '',
        captureStack: false,
      });
    else if (httpStatus !== undefined && httpStatus >= 400)
      err = new FaultlineError({
        code: codeForHttpStatus(httpStatus) ?? 'internal_error',
        message: `HTTP ${httpStatus}`,
        captureStack: false,
      });
    else err = toFaultlineError(new Error(span.status.message || `${span.name} failed`));
    // Derived from the span itself (not a thrown object): the policy decides for this span.
    // (With no thrown value, err was just built from the span, never undefined.)
    if (thrown === undefined) err = admit(err as FaultlineError, span);
    // Ignored, or dropped by beforeRecord: the span stays as the instrumentation left it.
    if (err === undefined) return undefined;

    const attributes: Attributes = errorAttributes(err);
    // The storm guard: past its rate, this fingerprint's exception events lose their stacktrace.
    if (hasException(span.events) && !recordInFull(err)) {
      attributes[ATTR.SUPPRESSED] = true;
      suppressStacktraces(span.events);
    }
    // Semantic conventions: with no exception, error.type is the status code (as a string).
    if (thrown === undefined && !exception) {
      const existing = span.attributes[ATTR.ERROR_TYPE];
      attributes[ATTR.ERROR_TYPE] = statusType ?? (typeof existing === 'string' ? existing : err.code);
    }
    span.setAttributes(attributes);
    return { err, fromThrown: thrown !== undefined };
  }

  private exceptionsToLogs(span: MutableSpan): void {
    const keep: TimedEvent[] = [];
    let moved = false;
    for (const event of span.events) {
      if (event.name !== 'exception') {
        keep.push(event);
        continue;
      }
      const attributes = event.attributes ?? {};
      if (!wasLogged(span, attributes)) {
        emitExceptionLog({ ...attributes, ...faultlineAttributes(span.attributes) }, span);
      }
      if (this.exceptionSignal === 'logs') moved = true;
      else keep.push(event);
    }
    if (moved) span.events.splice(0, span.events.length, ...keep);
  }
}

// One decision per thrown object, so that the spans a failure crosses carry the same structured
// error and the count recognises it (the classifier builds a new FaultlineError at each call):
// classified once, passed once through the ignore lists and beforeRecord (null: dropped).
const classified = new WeakMap<object, FaultlineError | null>();

function classify(thrown: unknown, span: Span | undefined): FaultlineError | undefined {
  if (thrown === null || typeof thrown !== 'object') return admit(toFaultlineError(thrown), span);
  let err = classified.get(thrown);
  if (err === undefined) {
    err = admit(toFaultlineError(thrown), span) ?? null;
    classified.set(thrown, err);
  }
  return err ?? undefined;
}

function hasException(events: readonly TimedEvent[]): boolean {
  return events.some((e) => e.name === 'exception');
}

function suppressStacktraces(events: TimedEvent[]): void {
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as TimedEvent;
    if (event.name !== 'exception' || event.attributes?.[ATTR.EXCEPTION_STACKTRACE] === undefined) continue;
    const { [ATTR.EXCEPTION_STACKTRACE]: _dropped, ...rest } = event.attributes;
    events[i] = { ...event, attributes: { ...rest, [ATTR.SUPPRESSED]: true } };
  }
}

/** What a span was labelled with, and whether it came from a thrown value (else from its status). */
interface Labelled {
  err: FaultlineError;
  fromThrown: boolean;
}

/**
 * Counts a request's failure once, under its operation. When values were thrown in it, those:
 * each distinct one (the same object on several spans counts once; a wrapper of a counted error
 * does not count again: countError follows causes). Otherwise the root's own error, derived from
 * its status (one 503 seen by the framework's span and the server span is one failure); and when
 * the request succeeded, the failures its spans saw and it handled (a downstream 404 answered
 * with a fallback), each once.
 */
function countRequest(request: RequestRecord, root: Labelled | undefined, operation: string): void {
  if (request.thrown.length > 0) {
    for (const value of request.thrown) {
      const err = classify(value, undefined);
      if (err !== undefined) countError(err, operation, value);
    }
    return;
  }
  if (root !== undefined) countError(root.err, operation);
  else for (const err of request.derived) countError(err, operation);
}

function faultlineAttributes(attrs: Attributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attrs)) {
    if (key === ATTR.ERROR_TYPE || key.startsWith('faultline.error.')) out[key] = value;
  }
  return out;
}

function lastException(events: readonly TimedEvent[]): TimedEvent | undefined {
  for (let i = events.length - 1; i >= 0; i--) if (events[i]?.name === 'exception') return events[i];
  return undefined;
}

/**
 * An Error shaped like the one the instrumentation saw, so the classifier can read its code, for
 * instrumentations that record a description instead of the error (instrumentation-pg records
 * "PostgreSQL error of type 'error' occurred (code: 42P01)" and puts the SQLSTATE in error.type).
 */
function errorFromEvent(attributes: Attributes, spanAttributes: Attributes): Error {
  const type = String(attributes['exception.type'] ?? 'Error');
  const message = String(attributes['exception.message'] ?? '');
  const err = new Error(message);
  Object.defineProperty(err, 'name', { value: /^[A-Za-z_$][\w$]*$/.test(type) ? type : 'Error' });
  const stack = attributes['exception.stacktrace'];
  if (typeof stack === 'string') err.stack = stack;
  // Node system and undici errors name their code in the message (connect ECONNREFUSED 127.0.0.1:1).
  let code = /^[A-Z][A-Z0-9_]{2,}$/.test(type)
    ? type
    : /\b(E[A-Z]{3,}|UND_ERR_[A-Z_]+|ERR_[A-Z_]+)\b/.exec(message)?.[1];
  // A database client span: the driver's code, as the instrumentation wrote it in error.type or
  // in its description.
  const system = spanAttributes['db.system.name'] ?? spanAttributes['db.system'];
  if (code === undefined && typeof system === 'string') {
    const written = spanAttributes[ATTR.ERROR_TYPE];
    code =
      typeof written === 'string' && /^[0-9A-Z]{5}$/.test(written)
        ? written
        : /\(code: ([0-9A-Z]{5})\)/.exec(message)?.[1];
    if (code !== undefined) {
      // The shape the PostgreSQL rules recognise: a SQLSTATE with the server's severity.
      if (/^postgres/.test(system)) Object.defineProperty(err, 'severity', { value: 'ERROR' });
    }
  }
  if (code) Object.defineProperty(err, 'code', { value: code });
  return err;
}
