import { FaultlineError } from '@faultline/errors';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type CircuitBreakerFaultlinePolicy,
  circuitBreaker,
  fallback,
  health,
  healthStatusCode,
  timeout,
} from '../src/index.js';
import { OutcomeWindow, resetOutcomes } from '../src/outcomes.js';
import { invalid, refused, uniqueName } from './support/faults.js';

const breakers: CircuitBreakerFaultlinePolicy[] = [];
const T0 = new Date('2025-01-01T00:00:00Z').getTime();

function breaker(name = uniqueName('dep')) {
  const b = circuitBreaker({ name, breaker: { kind: 'consecutive', threshold: 1 }, halfOpenAfterMs: 20_000 });
  breakers.push(b);
  return b;
}

/** Runs `ok` successful and `failed` failing operations through a policy. */
async function operations(ok: number, failed: number, error: unknown = refused()) {
  const policy = timeout({ ms: 10_000 });
  for (let i = 0; i < ok; i++) await policy.execute(() => 'ok');
  for (let i = 0; i < failed; i++) await policy.execute(() => Promise.reject(error)).catch(() => undefined);
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  resetOutcomes();
});
afterEach(() => {
  for (const b of breakers.splice(0)) b.dispose();
  vi.useRealTimers();
});

describe('health(): breakers', () => {
  it('is healthy with every breaker closed and no failures', async () => {
    breaker('payments');
    await operations(30, 0);
    const report = health();
    expect(report).toMatchObject({ status: 'healthy', reasons: [] });
    expect(report.breakers).toContainEqual({ name: 'payments', state: 'closed', critical: false });
    expect(report.errorRate).toMatchObject({ operations: 30, failures: 0, rate: 0 });
  });

  it('an open breaker makes it degraded, with the time to the next probe', async () => {
    const b = breaker('search');
    await b.execute(() => Promise.reject(refused())).catch(() => undefined);
    vi.advanceTimersByTime(5_000);
    const report = health();
    expect(report.status).toBe('degraded');
    expect(report.reasons).toEqual(["circuit breaker 'search' is open (next probe in 15 s)"]);
    expect(report.breakers).toContainEqual({
      name: 'search',
      state: 'open',
      critical: false,
      retryAfterMs: 15_000,
    });
  });

  it('an open critical breaker makes it unhealthy; half-open is degraded', async () => {
    const b = breaker('worker');
    await b.execute(() => Promise.reject(refused())).catch(() => undefined);
    expect(health({ criticalBreakers: ['worker'] })).toMatchObject({
      status: 'unhealthy',
      reasons: ["circuit breaker 'worker' (critical) is open (next probe in 20 s)"],
    });
    await vi.advanceTimersByTimeAsync(20_000);
    let release: () => void = () => undefined;
    const probe = b.execute(() => new Promise<void>((resolve) => (release = resolve)));
    expect(health({ criticalBreakers: ['worker'] })).toMatchObject({
      status: 'degraded',
      reasons: ["circuit breaker 'worker' is half-open (probing the dependency)"],
    });
    release();
    await probe;
    expect(health({ criticalBreakers: ['worker'] }).status).toBe('healthy');
  });
});

describe('health(): error rate', () => {
  it('degraded at the degraded rate, unhealthy at the unhealthy rate, with the numbers', async () => {
    await operations(90, 10);
    expect(health()).toMatchObject({
      status: 'degraded',
      reasons: ['error rate 10% over the last 60 s (10 of 100 operations) is at or above 10%'],
      errorRate: { windowMs: 60_000, operations: 100, failures: 10, rate: 0.1 },
    });
    await operations(0, 100);
    expect(health()).toMatchObject({ status: 'unhealthy', errorRate: { operations: 200, failures: 110 } });
    expect(health({ unhealthyErrorRate: 0.6 }).status).toBe('degraded');
  });

  it('does not judge a handful of operations', async () => {
    await operations(0, 19);
    expect(health()).toMatchObject({ status: 'healthy', errorRate: { operations: 19, rate: null } });
    expect(health({ minCalls: 5 }).status).toBe('unhealthy');
  });

  it("the caller's mistakes and cancellations are not failures of this service", async () => {
    await operations(0, 30, invalid());
    await operations(0, 30, new DOMException('gone', 'AbortError'));
    expect(health()).toMatchObject({ status: 'healthy', errorRate: { operations: 60, failures: 0 } });
  });

  it('an operation answered by its fallback is a success, and counted as a fallback', async () => {
    const degrade = fallback({ value: 'stale' });
    for (let i = 0; i < 25; i++) await degrade.execute(() => Promise.reject(refused()));
    expect(health()).toMatchObject({
      status: 'healthy',
      errorRate: { operations: 25, failures: 0, fallbacks: 25 },
    });
  });

  it('failures leave the window as time passes', async () => {
    await operations(0, 50);
    vi.advanceTimersByTime(61_000);
    await operations(30, 0);
    // The 30 successes came after the last clock read (61 s ago), so they are spread over those 62
    // seconds: 29 of them fall in the last 60 s.
    expect(health()).toMatchObject({ status: 'healthy', errorRate: { operations: 29, failures: 0 } });
  });

  it.each([
    [{ windowMs: 500 }, '`windowMs` must be an integer from 1000 to 600000'],
    [{ degradedErrorRate: 0 }, '`degradedErrorRate` must be a number above 0 and at most 1'],
    [
      { degradedErrorRate: 0.5, unhealthyErrorRate: 0.2 },
      '`unhealthyErrorRate` must be at least degradedErrorRate (0.5)',
    ],
    [{ criticalBreakers: 'worker' }, '`criticalBreakers` must be an array of breaker names'],
  ])('rejects %j: %s', (options, message) => {
    expect(() => health(options as never)).toThrow(
      expect.objectContaining({
        code: 'FAULTLINE_ERR_INVALID_HEALTH_OPTION',
        message: expect.stringContaining(message),
      }),
    );
  });

  it('503 only when unhealthy', () => {
    expect([
      healthStatusCode('healthy'),
      healthStatusCode('degraded'),
      healthStatusCode('unhealthy'),
    ]).toEqual([200, 200, 503]);
  });
});

describe('OutcomeWindow: successes counted without the clock', () => {
  it('spreads the successes pending since the last clock read evenly over the seconds since', () => {
    const window = new OutcomeWindow();
    const failure = new FaultlineError({ code: 'connection_failed' });
    window.failure(failure); // reads the clock: t0
    for (let i = 0; i < 100; i++) window.success();
    vi.advanceTimersByTime(9_000);
    window.failure(failure); // t0 + 9 s: 100 successes over 10 one-second buckets
    expect(window.snapshot(Date.now(), 5_000)).toEqual({
      windowMs: 5_000,
      calls: 51,
      failures: 1,
      fallbacks: 0,
    });
    expect(window.snapshot(Date.now(), 60_000)).toEqual({
      windowMs: 60_000,
      calls: 102,
      failures: 2,
      fallbacks: 0,
    });
  });

  it('a clock that steps back keeps counting in the current second', () => {
    const window = new OutcomeWindow();
    window.success();
    window.snapshot(T0, 1_000);
    window.success();
    expect(window.snapshot(T0 - 5_000, 1_000).calls).toBe(2);
  });
});
