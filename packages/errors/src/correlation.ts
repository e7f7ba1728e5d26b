import { randomBytes } from 'node:crypto';
import { trace } from '@opentelemetry/api';

const INVALID_TRACE_ID = '00000000000000000000000000000000';

/**
 * The correlation ID is the trace ID: the active span's, so one ID finds the trace, the logs
 * and the dashboard row. Without an active span, a fresh random W3C-shaped trace ID.
 */
export function correlationId(): string {
  const id = trace.getActiveSpan()?.spanContext().traceId;
  if (id && id !== INVALID_TRACE_ID) return id;
  return randomTraceId();
}

export function randomTraceId(): string {
  let id: string;
  do id = randomBytes(16).toString('hex');
  while (id === INVALID_TRACE_ID);
  return id;
}
