import { ERRORS_METRIC } from '@faultline/errors';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
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
    retry({
      name,
      maxAttempts: options.attempts ?? 3,
      jitter: 'none',
      initialDelayMs: 50,
      http: true,
      idempotent: true,
    }),
    breaker,
    timeout({ name: `${name}-deadline`, ms: 1_000 }),
  );
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const retries = (op: ReadableSpan) => op.events.filter((e) => e.name === SPAN.EVENT_RETRY);

describe('one operation span; attempts are its events, or mark the client spans they make', () => {
  it('a retried success: the client span of each attempt carries its number, no span of ours per attempt', async () => {
    const name = uniqueName('quote');
    const fn = flaky([refused(), refused()], 'quoted');
    const { value } = await runToEnd(
      chain(name).execute(async (ctx) => {
        // What an HTTP client instrumentation does: a CLIENT span, made active to propagate it.
        const client = trace.getTracer('test').startSpan('GET', {
          kind: SpanKind.CLIENT,
          attributes: { 'http.request.method': 'GET' },
        });
        trace.setSpan(context.active(), client);
        client.end();
        expect(ctx.attempt).toBeGreaterThan(0);
        return fn();
      }),
    );
    expect(value).toBe('quoted');

    const op = otel.span(name);
    expect(
      otel
        .spans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['GET', 'GET', 'GET', name]);
    expect(op.status.code).toBe(SpanStatusCode.UNSET);
    expect(op.events.filter((e) => e.name === 'exception')).toHaveLength(0);
    expect(op.attributes).toMatchObject({
      [SPAN.ATTEMPTS]: 3,
      [SPAN.POLICIES]: [`retry:${name}`, `circuit_breaker:${name}-breaker`, `timeout:${name}-deadline`],
    });
    expect(retries(op).map((e) => e.attributes?.[SPAN.DELAY_MS])).toEqual([50, 100]);
    expect(retries(op).map((e) => e.attributes?.['error.type'])).toEqual([
      'connection_failed',
      'connection_failed',
    ]);

    const clients = otel
      .spans()
      .filter((s) => s.name === 'GET')
      .sort((a, b) => Number(a.attributes[SPAN.ATTEMPT]) - Number(b.attributes[SPAN.ATTEMPT]));
    for (const c of clients) expect(parentOf(c)).toBe(op.spanContext().spanId);
    expect(clients.map((c) => c.attributes[SPAN.ATTEMPT])).toEqual([1, 2, 3]);
    expect(clients[0]?.attributes).not.toHaveProperty(SPAN.RESEND_COUNT);
    expect(clients.map((c) => c.attributes[SPAN.RESEND_COUNT])).toEqual([undefined, 1, 2]);

    expect(await otel.value(ERRORS_METRIC, { operation: name })).toBe(0);
    expect(await otel.value(METRICS.RETRY_ATTEMPTS, { policy: name, outcome: 'retry' })).toBe(2);
    expect(await otel.value(METRICS.RETRY_ATTEMPTS, { policy: name, outcome: 'success' })).toBe(1);
    expect(await otel.value(METRICS.RETRY_ATTEMPTS, { policy: name, outcome: 'exhausted' })).toBe(0);
  });

  it('an exhausted retry of a plain function: one span, its attempts are events, the final failure recorded once', async () => {
    const name = uniqueName('quote');
    const { error } = await runToEnd(chain(name).execute(() => Promise.reject(refused())));
    expect(retryHistory(error)?.gaveUpBecause).toBe('exhausted');

    expect(otel.spans().map((s) => s.name)).toEqual([name]);
    const op = otel.span(name);
    expect(op.status.code).toBe(SpanStatusCode.ERROR);
    expect(op.attributes).toMatchObject({
      'error.type': 'connection_failed',
      'faultline.error.code': 'connection_failed',
      [SPAN.GAVE_UP_BECAUSE]: 'exhausted',
      [SPAN.ATTEMPTS]: 3,
    });
    expect(retries(op).map((e) => e.attributes?.[SPAN.ATTEMPT])).toEqual([1, 2]);
    const exceptions = op.events.filter((e) => e.name === 'exception');
    expect(exceptions).toHaveLength(1);
    expect(String(exceptions[0]?.attributes?.['exception.stacktrace'])).toContain('ECONNREFUSED');

    expect(await otel.value(ERRORS_METRIC, { operation: name, 'error.type': 'connection_failed' })).toBe(1);
    expect(await otel.value(METRICS.RETRY_ATTEMPTS, { policy: name, outcome: 'exhausted' })).toBe(1);
    expect(await otel.value(METRICS.RETRY_ATTEMPTS, { policy: name, outcome: 'retry' })).toBe(2);
  });

  it('the breaker opening mid-retry: the transition and the rejection are events naming their attempt', async () => {
    const name = uniqueName('worker');
    const { error } = await runToEnd(chain(name, { threshold: 1 }).execute(() => Promise.reject(refused())));
    expect(error).toMatchObject({ code: 'circuit_open', retryAfterMs: expect.any(Number) });
    expect(retryHistory(error)).toMatchObject({
      attempts: 2,
      codes: ['connection_failed', 'circuit_open'],
      gaveUpBecause: 'circuit_open',
    });
    const op = otel.span(name);
    expect(op.events.find((e) => e.name === SPAN.EVENT_TRANSITION)?.attributes).toMatchObject({
      [SPAN.BREAKER]: `${name}-breaker`,
      [SPAN.CIRCUIT_FROM]: 'closed',
      [SPAN.CIRCUIT_STATE]: 'open',
      [SPAN.ATTEMPT]: 1,
    });
    expect(op.events.find((e) => e.name === SPAN.EVENT_REJECTED)?.attributes?.[SPAN.ATTEMPT]).toBe(2);
    expect(await otel.value(METRICS.RETRY_ATTEMPTS, { policy: name, outcome: 'circuit_open' })).toBe(1);
    expect(await otel.value(METRICS.CIRCUIT_REJECTIONS, { breaker: `${name}-breaker` })).toBe(1);
  });

  it('a timeout inside the retry is an event naming the attempt that timed out', async () => {
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
    const op = otel.span(name);
    expect(op.events.find((e) => e.name === SPAN.EVENT_TIMEOUT)?.attributes).toMatchObject({
      [SPAN.TIMEOUT_MS]: 1_000,
      [SPAN.TIMEOUT_STRATEGY]: 'aggressive',
      [SPAN.ATTEMPT]: 1,
    });
    expect(retries(op).map((e) => e.attributes?.['error.type'])).toEqual(['operation_timeout']);
    expect(op.attributes[SPAN.ATTEMPTS]).toBe(2);
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
