import { ATTR, type FaultlineError, faultlineConfig } from '@faultline/errors';
import { errorAttributes, exceptionAttributes, statusMessage } from '@faultline/errors/internal';
import { type Attributes, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/sdk-trace';
import { markLogged } from './exception-logs.js';

/** At most this many open SERVER spans are remembered; past it the oldest is forgotten. */
export const MAX_OPEN_SERVER_SPANS = 1000;

/**
 * The SERVER spans that have started and not ended yet, so that a crash can close them.
 *
 * Every request in flight dies with the process, and its SERVER span, never ended, would never be
 * exported. On a fatal exception we end each one with the error recorded and status ERROR: the
 * failing request's trace shows the crash even when the throw came from a callback outside that
 * request's async context (a pool or an emitter created at start, where no span is active), and so
 * does every other request the crash cut short (they did fail). Nothing here changes what the app
 * does: the spans are only read, and ended while the process is about to exit.
 *
 * Cost, per SERVER span: a slot index written on the span at start and cleared at end (~15 ns; a Set
 * would hash every new span object, ~75 ns). Memory is bounded: at most MAX_OPEN_SERVER_SPANS are
 * held; past that a new span takes the slot of an older one in turn, so a span that is never ended
 * (an instrumentation bug) cannot hold its slot for ever.
 */
type Slotted = Span & Record<symbol, number | undefined>;

export class OpenServerSpans {
  private readonly slots: Array<Slotted | undefined> = [];
  private readonly free: number[] = [];
  private readonly slot = Symbol('faultline.open-server-span');
  private evict = 0;
  private count = 0;
  private readonly crashed = new WeakSet<object>();

  constructor(private readonly max = MAX_OPEN_SERVER_SPANS) {}

  started(span: Span): void {
    if (span.kind !== SpanKind.SERVER) return;
    let i = this.free.pop();
    if (i === undefined) {
      if (this.slots.length < this.max) i = this.slots.length;
      else {
        i = this.evict;
        this.evict = (this.evict + 1) % this.max;
        const old = this.slots[i];
        if (old) {
          old[this.slot] = undefined;
          this.count--;
        }
      }
    }
    const slotted = span as Slotted;
    this.slots[i] = slotted;
    slotted[this.slot] = i;
    this.count++;
  }

  ended(span: Span): void {
    const slotted = span as Slotted;
    const i = slotted[this.slot];
    if (i === undefined) return;
    slotted[this.slot] = undefined;
    if (this.slots[i] !== slotted) return;
    this.slots[i] = undefined;
    this.free.push(i);
    this.count--;
  }

  get size(): number {
    return this.count;
  }

  /** The only open SERVER span, when there is exactly one (the crash can only be its request's). */
  single(): Span | undefined {
    if (this.count !== 1) return undefined;
    return this.slots.find((s) => s !== undefined);
  }

  /** Whether endAll closed this span: it already carries the error and was counted with the crash. */
  wasCrashed(span: object): boolean {
    return this.crashed.has(span);
  }

  /**
   * Ends every open SERVER span with `err` recorded (error.type, faultline.error.*, an exception
   * event that the processor turns into a log record per OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN) and
   * status ERROR. The crash is counted once by the caller, not once per span. `loggedOn` is the span
   * the caller's FATAL log record is linked to: that exception is not logged a second time for it.
   * Returns how many spans were ended.
   */
  endAll(err: FaultlineError, origin: string, loggedOn?: object): number {
    const spans = this.slots.filter((s): s is Slotted => s !== undefined);
    for (const span of spans) this.ended(span);
    const config = faultlineConfig();
    const exception = exceptionAttributes(err, config.maxAttributeLength);
    const attributes: Attributes = { ...errorAttributes(err), [ATTR.ORIGIN]: origin };
    let ended = 0;
    for (const span of spans) {
      try {
        if (!span.isRecording()) continue;
        span.setAttributes(attributes);
        span.addEvent('exception', exception);
        if (span === loggedOn) markLogged(span, exception);
        span.setStatus({ code: SpanStatusCode.ERROR, message: statusMessage(err, origin) });
        this.crashed.add(span);
        span.end();
        ended++;
      } catch {
        // Telemetry never throws into the app, least of all while it is failing.
      }
    }
    return ended;
  }
}
