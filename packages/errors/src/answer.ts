// Answering an error on a wire (HTTP problem+json, gRPC status): the steps every server adapter
// takes in the same order, written once. The wire encoding itself stays with each adapter.
import { isSpanContextValid, type Span } from '@opentelemetry/api';
import { toFaultlineError } from './classify.js';
import { correlationId } from './correlation.js';
import type { FaultlineError } from './error.js';
import { type RecordErrorOptions, recordError } from './record.js';

export interface AnswerSteps<W> {
  /** The server span to record on. */
  span: Span | undefined;
  /** The wire form of the answer (status, payload), from the classified and correlated error. */
  wire: (error: FaultlineError) => W;
  /** What recordError is told about the answer (the answered status, an operation label). */
  recordOptions: (wire: W) => RecordErrorOptions;
  /** The caller's hook, after recording; a throw from it is swallowed. */
  onError?: ((error: FaultlineError) => void) | undefined;
}

/**
 * Whatever was thrown, made ready to answer: classified, given the span's trace ID as correlation
 * ID (a fresh one without a valid span), encoded by `wire`, recorded on the span with the answered
 * status, then shown to `onError` (which cannot change the answer).
 */
export function answerError<W>(value: unknown, steps: AnswerSteps<W>): { error: FaultlineError; wire: W } {
  const error = toFaultlineError(value);
  if (error.correlationId === undefined) {
    const spanContext = steps.span?.spanContext();
    error.correlationId =
      spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : correlationId();
  }
  const wire = steps.wire(error);
  recordError(steps.span, error, steps.recordOptions(wire));
  if (steps.onError) {
    try {
      steps.onError(error);
    } catch {
      // A failing hook must not change the answer.
    }
  }
  return { error, wire };
}
