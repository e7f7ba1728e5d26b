import { ERRORS_METRIC } from '@faultline/errors';
import { context, ROOT_CONTEXT, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type CircuitBreakerFaultlinePolicy,
  circuitBreaker,
  METRICS,
  retry,
  retryHistory,
  SPAN,
  timeout,
  wrap,
} from '../src/index.js';
import { flaky, refused, runToEnd, uniqueName } from './support/faults.js';
import { installSdk, type Telemetry } from './support/sdk.js';

let otel: Telemetry;
const breakers: CircuitBreakerFaultlinePolicy[] = [];

beforeEach(() => {
  vi.useFakeTimers();
  otel = installSdk();
});
afterEach(async () => {
  for (const b of breakers.splice(0)) b.dispose();
  vi.useRealTimers();
  await otel.shutdown();
});

function chain(name: string, options: { threshold?: number; attempts?: number } = {}) {
  const breaker = circuitBreaker({
    name: `${name}-breaker`,
    breaker: { kind: 'consecutive', threshold: options.threshold ?? 10 },
    halfOpenAfterMs: 30_000,
  });
  breakers.push(breaker);
  return wrap(
    retry({ name, maxAttempts: options.attempts ?? 3, jitter: 'none', initialDelayMs: 50, http: true }),
    breaker,
    timeout({ name: `${name}-deadline`, ms: 1_000 }),
  );
}

const attempts = (name: string) =>
  otel
    .spans()
    .filter((s) => s.name === `${name} attempt`)
    .sort((a, b) => Number(a.attributes[SPAN.ATTEMPT]) - Number(b.attributes[SPAN.ATTEMPT]));

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('one operation span, one child span per attempt', () => {
  it('a retried success: attempts fail on their own spans, the operation does not fail', async () => {
    const name = uniqueName('quote');
    const fn = flaky([refused(), refused()], 'quoted');
    let downstreamParent: string | undefined;
    const { value } = await runToEnd(
      chain(name).execute(async (ctx) => {
        // What an HTTP client instrumentation would create under the attempt.
        const client = trace.getTracer('test').startSpan('GET /quote');
        downstreamParent = (client as unknown as ReadableSpan).parentSpanContext?.spanId;
        client.end();
        expect(ctx.attempt).toBeGreaterThan(0);
        return fn();
      }),
    );
    expect(value).toBe('quoted');

    const op = otel.span(name);
    expect(op.status.code).toBe(SpanStatusCode.UNSET);
    expect(op.events.filter((e) => e.name === 'exception')).toHaveLength(0);
    expect(op.attributes).toMatchObject({
      [SPAN.ATTEMPTS]: 3,
      [SPAN.POLICIES]: [`retry:${name}`, `circuit_breaker:${name}-breaker`, `timeout:${name}-deadline`],
    });
    expect(
      op.events.filter((e) => e.name === SPAN.EVENT_RETRY).map((e) => e.attributes?.[SPAN.DELAY_MS]),
    ).toEqual([50, 100]);

    const [a1, a2, a3] = attempts(name);
    for (const a of [a1, a2, a3]) expect(parentOf(a as ReadableSpan)).toBe(op.spanContext().spanId);
    expect(a1?.status.code).toBe(SpanStatusCode.ERROR);
    expect(a1?.attributes).toMatchObject({ 'error.type': 'connection_failed', [SPAN.OUTCOME]: 'retry' });
    expect(a1?.attributes).not.toHaveProperty(SPAN.RESEND_COUNT);
    expect(a2?.attributes).toMatchObject({ [SPAN.RESEND_COUNT]: 1, [SPAN.OUTCOME]: 'retry' });
    expect(a3?.attributes).toMatchObject({ [SPAN.RESEND_COUNT]: 2, [SPAN.OUTCOME]: 'success' });
    expect(a3?.status.code).toBe(SpanStatusCode.UNSET);
    expect(downstreamParent).toBe(a3?.spanContext().spanId);

    expect(await otel.value(ERRORS_METRIC, { operation: name })).toBe(0);
    expect(await otel.value(METRICS.RETRY_ATTEMPTS, { policy: name, outcome: 'retry' })).toBe(2);
    expect(await otel.value(METRICS.RETRY_ATTEMPTS, { policy: name, outcome: 'success' })).toBe(1);
    expect(await otel.value(METRICS.RETRY_ATTEMPTS, { policy: name, outcome: 'exhausted' })).toBe(0);
  });

  it('an exhausted retry: only the final failure is recorded, once, on the operation span', async () => {
    const name = uniqueName('quote');
    const { error } = await runToEnd(chain(name).execute(() => Promise.reject(refused())));
    expect(retryHistory(error)?.gaveUpBecause).toBe('exhausted');

    const op = otel.span(name);
    expect(op.status.code).toBe(SpanStatusCode.ERROR);
    expect(op.attributes).toMatchObject({
      'error.type': 'connection_failed',
      'faultline.error.code': 'connection_failed',
      [SPAN.GAVE_UP_BECAUSE]: 'exhausted',
      [SPAN.ATTEMPTS]: 3,
    });
    const exceptions = op.events.filter((e) => e.name === 'exception');
    expect(exceptions).toHaveLength(1);
    expect(String(exceptions[0]?.attributes?.['exception.stacktrace'])).toContain('ECONNREFUSED');
    expect(attempts(name).every((a) => a.events.every((e) => e.name !== 'exception'))).toBe(true);
    expect(attempts(name).map((a) => a.attributes[SPAN.OUTCOME])).toEqual(['retry', 'retry', 'exhausted']);

    expect(await otel.value(ERRORS_METRIC, { operation: name, 'error.type': 'connection_failed' })).toBe(1);
    expect(await otel.value(METRICS.RETRY_ATTEMPTS, { policy: name, outcome: 'exhausted' })).toBe(1);
    expect(await otel.value(METRICS.RETRY_ATTEMPTS, { policy: name, outcome: 'retry' })).toBe(2);
  });

  it('the breaker opening mid-retry: the transition and the rejection are events on their attempts', async () => {
    const name = uniqueName('worker');
    const { error } = await runToEnd(chain(name, { threshold: 1 }).execute(() => Promise.reject(refused())));
    expect(error).toMatchObject({ code: 'circuit_open', retryAfterMs: expect.any(Number) });
    expect(retryHistory(error)).toMatchObject({
      attempts: 2,
      codes: ['connection_failed', 'circuit_open'],
      gaveUpBecause: 'circuit_open',
    });
    const [a1, a2] = attempts(name);
    expect(a1?.events.find((e) => e.name === SPAN.EVENT_TRANSITION)?.attributes).toMatchObject({
      [SPAN.BREAKER]: `${name}-breaker`,
      [SPAN.CIRCUIT_FROM]: 'closed',
      [SPAN.CIRCUIT_STATE]: 'open',
    });
    expect(a2?.events.map((e) => e.name)).toContain(SPAN.EVENT_REJECTED);
    expect(await otel.value(METRICS.RETRY_ATTEMPTS, { policy: name, outcome: 'circuit_open' })).toBe(1);
    expect(await otel.value(METRICS.CIRCUIT_REJECTIONS, { breaker: `${name}-breaker` })).toBe(1);
  });

  it('a timeout inside the retry is an event on the attempt that timed out', async () => {
    const name = uniqueName('slow');
    const fn = flaky([], 'eventually');
    let calls = 0;
    const { value } = await runToEnd(
      chain(name).execute(async () => {
        calls++;
        if (calls === 1) await new Promise((resolve) => setTimeout(resolve, 5_000));
        return fn();
      }),
    );
    expect(value).toBe('eventually');
    const [a1, a2] = attempts(name);
    expect(a1?.attributes['error.type']).toBe('operation_timeout');
    expect(a1?.events.find((e) => e.name === SPAN.EVENT_TIMEOUT)?.attributes).toMatchObject({
      [SPAN.TIMEOUT_MS]: 1_000,
      [SPAN.TIMEOUT_STRATEGY]: 'aggressive',
    });
    expect(a2?.attributes[SPAN.OUTCOME]).toBe('success');
  });

  it('a policy run on its own is an operation too (a breaker rejection is its error)', async () => {
    const name = uniqueName('solo');
    const breaker = circuitBreaker({ name, breaker: { kind: 'consecutive', threshold: 1 } });
    breakers.push(breaker);
    await breaker.execute(() => Promise.reject(refused())).catch(() => undefined);
    await breaker.execute(() => 'unreachable').catch(() => undefined);
    const spans = otel.spans().filter((s) => s.name === name);
    expect(spans).toHaveLength(2);
    expect(spans[1]?.attributes['error.type']).toBe('circuit_open');
    expect(spans[1]?.events.map((e) => e.name)).toEqual([SPAN.EVENT_REJECTED, 'exception']);
  });

  it('under a parent that was not sampled, no span is made but errors and attempts are still counted', async () => {
    const name = uniqueName('unsampled');
    const parent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.NONE,
      isRemote: true,
    });
    const policy = chain(name);
    const { error } = await context.with(parent, () =>
      runToEnd(policy.execute(() => Promise.reject(refused()))),
    );
    expect(retryHistory(error)?.gaveUpBecause).toBe('exhausted');
    expect(otel.spans()).toHaveLength(0);
    expect(await otel.value(ERRORS_METRIC, { operation: name, 'error.type': 'connection_failed' })).toBe(1);
    expect(await otel.value(METRICS.RETRY_ATTEMPTS, { policy: name, outcome: 'retry' })).toBe(2);

    const sampled = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    await context.with(sampled, () => runToEnd(policy.execute(() => 'ok')));
    expect(otel.span(name).spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('attempts made before the SDK starts are counted, and reported once a policy runs under it', async () => {
    await otel.shutdown();
    const name = uniqueName('early');
    const policy = retry({ name, jitter: 'none', initialDelayMs: 1 });
    const { value } = await runToEnd(policy.execute(flaky([refused()], 'ok')));
    expect(value).toBe('ok');
    otel = installSdk();
    await runToEnd(policy.execute(() => 'ok'));
    expect(await otel.value(METRICS.RETRY_ATTEMPTS, { policy: name, outcome: 'retry' })).toBe(1);
    expect(await otel.value(METRICS.RETRY_ATTEMPTS, { policy: name, outcome: 'success' })).toBe(2);
    expect(otel.spans().filter((s) => s.name === name)).toHaveLength(1);
  });
});
