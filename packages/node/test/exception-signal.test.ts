import { describe, expect, it } from 'vitest';
import { otlpEnv, REGISTER_CJS, runNode } from './support/child.js';
import type { ReceivedLog, ReceivedSpan } from './support/otlp-receiver.js';
import { STATUS, useReceiver } from './support/suite.js';

const SEVERITY_ERROR = 17;

const receiver = useReceiver();

async function run(service: string, optIn: string) {
  const result = await runNode(['--require', REGISTER_CJS, 'exception-app.cjs'], {
    ...otlpEnv(receiver().url),
    OTEL_SERVICE_NAME: service,
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN: optIn,
  });
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toContain('DONE');
  const span = (name: string) =>
    receiver().waitForSpan((s) => s.resource['service.name'] === service && s.name === name);
  const charge = await span('charge');
  const upstream = await span('upstream');
  // The process has exited after flushing: every record it sent is here.
  const logsOf = (s: ReceivedSpan) =>
    receiver().logs.filter(
      (l) => l.resource['service.name'] === service && l.traceId === s.traceId && l.spanId === s.spanId,
    );
  return { charge, upstream, chargeLogs: logsOf(charge), upstreamLogs: logsOf(upstream) };
}

function expectExceptionLog(logs: ReceivedLog[], message: string) {
  // Exactly one record per exception: recordError's own and the processor's never both.
  expect(logs).toHaveLength(1);
  const log = logs[0]!;
  expect(log.severityNumber).toBe(SEVERITY_ERROR);
  expect(log.severityText).toBe('ERROR');
  expect(log.attributes['exception.message']).toBe(message);
  expect(log.attributes['exception.type']).toBeTruthy();
  expect(String(log.attributes['exception.stacktrace'])).toContain(message);
}

describe('OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN', () => {
  it('=logs: exceptions become log records linked to their span, and spans carry no exception event', async () => {
    const { charge, upstream, chargeLogs, upstreamLogs } = await run('svc-exc-logs', 'logs');
    expect(charge.status.code).toBe(STATUS.ERROR);
    expect(charge.attributes['faultline.error.code']).toBeTruthy();
    expect(charge.events.filter((e) => e.name === 'exception')).toEqual([]);
    expectExceptionLog(chargeLogs, 'card declined');
    expect(chargeLogs[0]!.attributes['faultline.error.code']).toBe(charge.attributes['faultline.error.code']);

    // An exception an instrumentation recorded with Span.recordException is moved by the processor.
    expect(upstream.events.filter((e) => e.name === 'exception')).toEqual([]);
    expectExceptionLog(upstreamLogs, 'socket hang up');
  });

  it('=logs/dup: both the span event and the linked log record', async () => {
    const { charge, upstream, chargeLogs, upstreamLogs } = await run('svc-exc-dup', 'logs/dup');
    expect(charge.events.filter((e) => e.name === 'exception')).toHaveLength(1);
    expect(charge.events[0]!.attributes['exception.message']).toBe('card declined');
    expectExceptionLog(chargeLogs, 'card declined');
    expect(upstream.events.filter((e) => e.name === 'exception')).toHaveLength(1);
    expectExceptionLog(upstreamLogs, 'socket hang up');
  });

  it('unset: span events only, no exception log records', async () => {
    const { charge, upstream, chargeLogs, upstreamLogs } = await run('svc-exc-events', '');
    expect(charge.events.filter((e) => e.name === 'exception')).toHaveLength(1);
    expect(upstream.events.filter((e) => e.name === 'exception')).toHaveLength(1);
    expect(chargeLogs).toEqual([]);
    expect(upstreamLogs).toEqual([]);
  });
});
