import type { FaultlineError } from '@faultline/errors';
import { type Context, SpanKind, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/sdk-trace';

/**
 * What one request (a local root: a SERVER or CONSUMER span of this process) has seen fail, so
 * that its failure is labelled and counted once, when the root ends, under the root's operation
 * (`GET /orders/:id`, not the framework's "request handler" span nor a bare `GET`):
 *  - every span started under the root points at the root's record (set in onStart);
 *  - the thrown values the instrumentations record (`span.recordException(err)`) are captured as
 *    the objects themselves, so the classifier sees the real error (its code, its shape) instead
 *    of a copy rebuilt from the exception event's text;
 *  - recordError calls made inside the request leave their count to the root (see deferCount).
 */
export interface RequestRecord {
  readonly root: Span;
  /** Values recorded on spans of the request, oldest first (bounded). */
  readonly thrown: unknown[];
  /** Errors its spans derived from their status alone (no exception recorded), oldest first (bounded). */
  readonly derived: FaultlineError[];
  ended: boolean;
}

/** A request keeps at most this many distinct recorded values (a loop of failures stays bounded). */
export const MAX_RECORDED_PER_REQUEST = 16;

const RECORD = Symbol('faultline.node.request');
const OWN_THROWN = Symbol('faultline.node.thrown');
type Tagged = Span & { [RECORD]?: RequestRecord; [OWN_THROWN]?: unknown };

/** Called from onStart: links the span to its request, or makes it the root of a new one. */
export function linkToRequest(span: Span, parentContext: Context): void {
  const parent = trace.getSpan(parentContext) as Tagged | undefined;
  const inherited = parent?.[RECORD];
  if (inherited !== undefined && !inherited.ended) {
    (span as Tagged)[RECORD] = inherited;
  } else if (span.kind === SpanKind.SERVER || span.kind === SpanKind.CONSUMER) {
    (span as Tagged)[RECORD] = { root: span, thrown: [], derived: [], ended: false };
  }
  patchRecordException(span);
}

export function requestOf(span: Span): RequestRecord | undefined {
  return (span as Tagged)[RECORD];
}

/** The value an instrumentation last recorded on this very span with recordException. */
export function thrownOn(span: Span): unknown {
  return (span as Tagged)[OWN_THROWN];
}

/** Remembers a value recorded on a span of the request (once per object). */
export function noteThrown(record: RequestRecord, value: unknown): void {
  if (value === undefined || value === null) return;
  remember(record.thrown, value);
}

/** Remembers an error a span of the request derived from its status. */
export function noteDerived(record: RequestRecord, err: FaultlineError): void {
  remember(record.derived, err);
}

function remember<T>(list: T[], value: T): void {
  if (list.includes(value)) return;
  if (list.length >= MAX_RECORDED_PER_REQUEST) list.shift();
  list.push(value);
}

const patched = new WeakSet<object>();

/**
 * Wraps `recordException` of the span's class (once per class): the SDK's Span turns the error into
 * event attributes and drops the object; we keep the object for the processor. The original runs
 * unchanged; a failure of ours never reaches the instrumentation.
 */
// The class every span of the SDK has: checked by identity first, the WeakSet only for another.
let lastPatched: object | undefined;

function patchRecordException(span: Span): void {
  const proto = Object.getPrototypeOf(span) as { recordException?: unknown } | null;
  if (proto === lastPatched || !proto) return;
  lastPatched = proto;
  if (patched.has(proto)) return;
  patched.add(proto);
  const original = proto.recordException;
  if (typeof original !== 'function') return;
  proto.recordException = function recordException(this: Tagged, exception: unknown, time?: unknown) {
    try {
      // Objects only: a string is a description some instrumentations record instead of the
      // error (instrumentation-pg's sanitised message), not the thrown value.
      if (exception !== null && typeof exception === 'object') {
        this[OWN_THROWN] = exception;
        const record = this[RECORD];
        if (record !== undefined && !record.ended) noteThrown(record, exception);
      }
    } catch {
      // Telemetry never throws into the app.
    }
    return original.call(this, exception, time);
  };
}

const HTTP_METHOD = /^[A-Z]{3,10}$/;

/**
 * The `operation` label of a failure: what people group by, and bounded. An HTTP SERVER span
 * names its method and route template (`GET /orders/:id`); with no route (a miss, a framework
 * that sets none) the method and `(no route)`, never the raw path; an HTTP CLIENT span outside
 * any request its method and peer host (`GET inventory.internal`). Any other span (gRPC
 * `pkg.Service/Method`, a consumer's `orders process`, a DB call) is named by its span name.
 */
export function operationOf(span: Span): string {
  const attrs = span.attributes;
  const method = attrs['http.request.method'] ?? attrs['http.method'];
  if (typeof method === 'string' && method.length > 0) {
    const route = attrs['http.route'];
    const verb = HTTP_METHOD.test(method) ? method : '_OTHER';
    if (typeof route === 'string' && route.length > 0) return `${verb} ${route}`.slice(0, 128);
    // A client call outside any request: the peer it called (a host name, bounded per service).
    const peer = attrs['server.address'] ?? attrs['net.peer.name'];
    if (span.kind === SpanKind.CLIENT && typeof peer === 'string' && peer.length > 0)
      return `${verb} ${peer}`.slice(0, 128);
    // instrumentation-http names a route-less span by its method; a framework may have renamed
    // it to a template, which is bounded. A name with the raw path in it is not.
    if (span.name !== method && span.name.startsWith(`${method} `) && !looksLikeRawPath(span, method))
      return span.name.slice(0, 128);
    return `${verb} (no route)`;
  }
  return span.name.slice(0, 128);
}

function looksLikeRawPath(span: Span, method: string): boolean {
  const path = span.attributes['url.path'] ?? span.attributes['http.target'];
  return typeof path === 'string' && span.name === `${method} ${path}`;
}

/**
 * The count deferral installed for @faultline/errors' recordError: a failure recorded on a span of
 * a request still in flight is counted by the request when its root ends (under its route).
 */
export function deferToRequest(span: object, err: unknown): boolean {
  const record = (span as Tagged)[RECORD];
  if (record === undefined || record.ended) return false;
  noteThrown(record, err);
  return true;
}
