import * as cockatiel from 'cockatiel';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { circuitBreaker, fallback, retry, retryHistory, timeout, wrap } from '../src/index.js';
import { refused, runToEnd, uniqueName } from './support/faults.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** The first call takes 5 s, later ones answer at once. */
function slowFirst() {
  let calls = 0;
  return Object.assign(
    async () => {
      calls++;
      if (calls === 1) await new Promise((resolve) => setTimeout(resolve, 5_000));
      return `call ${calls}`;
    },
    { calls: () => calls },
  );
}

describe('wrap: outermost first, like cockatiel', () => {
  it('wrap(retry, timeout): each attempt gets its own deadline', async () => {
    const fn = slowFirst();
    const policy = wrap(
      retry({ idempotent: true, name: uniqueName('w'), jitter: 'none', initialDelayMs: 10 }),
      timeout({ ms: 1_000 }),
    );
    expect(await runToEnd(policy.execute(fn))).toMatchObject({ value: 'call 2' });
  });

  it('wrap(timeout, retry): one deadline for all attempts together', async () => {
    const fn = slowFirst();
    const policy = wrap(
      timeout({ ms: 1_000 }),
      retry({ idempotent: true, name: uniqueName('w'), jitter: 'none', initialDelayMs: 10 }),
    );
    const { error } = await runToEnd(policy.execute(fn));
    expect(error?.code).toBe('operation_timeout');
    expect(fn.calls()).toBe(1);
  });

  it('wrap(fallback, retry, breaker): the fallback answers once the retry gives up on an open circuit', async () => {
    const breaker = circuitBreaker({ name: uniqueName('w'), breaker: { kind: 'consecutive', threshold: 2 } });
    try {
      const policy = wrap(
        fallback({ factory: (err) => `degraded (${err.code})` }),
        retry({
          idempotent: true,
          name: uniqueName('w'),
          maxAttempts: 5,
          jitter: 'none',
          initialDelayMs: 10,
        }),
        breaker,
      );
      let calls = 0;
      const result = await runToEnd(
        policy.execute(() => {
          calls++;
          return Promise.reject(refused());
        }),
      );
      expect(result.value).toBe('degraded (circuit_open)');
      expect(calls).toBe(2);
    } finally {
      breaker.dispose();
    }
  });

  it('takes cockatiel policies as layers too', async () => {
    const attempts: number[] = [];
    const policy = wrap(
      retry({ idempotent: true, name: uniqueName('w'), maxAttempts: 2, jitter: 'none', initialDelayMs: 10 }),
      cockatiel.timeout(1_000, cockatiel.TimeoutStrategy.Aggressive),
    );
    const { error } = await runToEnd(
      policy.execute(({ attempt, signal }) => {
        attempts.push(attempt);
        expect(signal).toBeInstanceOf(AbortSignal);
        return Promise.reject(refused());
      }),
    );
    expect(attempts).toEqual([1, 2]);
    expect(retryHistory(error)?.gaveUpBecause).toBe('exhausted');
  });

  it('wrapping a wrap flattens it, and the operation is named after the outermost policy', () => {
    const inner = wrap(timeout({ name: 'deadline', ms: 10 }));
    const outer = wrap(retry({ idempotent: true, name: 'fetch-user' }), inner);
    expect(outer.name).toBe('fetch-user');
    expect(outer.kind).toBe('wrap');
    expect(outer.wrapped).toHaveLength(2);
  });

  it('rejects what is not a policy', () => {
    expect(() => wrap()).toThrow(expect.objectContaining({ code: 'FAULTLINE_ERR_INVALID_POLICY' }));
    expect(() => wrap(retry({ idempotent: true, name: 'x' }), {} as never)).toThrow(
      expect.objectContaining({
        code: 'FAULTLINE_ERR_INVALID_POLICY',
        message: expect.stringContaining('argument 2'),
      }),
    );
  });
});
