import { FaultlineError, isFaultlineError } from '@faultline/errors';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type RetryHistory, retry, retryHistory } from '../src/index.js';
import { flaky, invalid, rateLimited, refused, uniqueName } from './support/faults.js';

// cockatiel's retry loop puts a 0 ms timer between attempts (our wait happens inside the failed
// attempt, so an abort can end it); under fake timers a 0 ms timer set during a tick fires 1 ms later.
const LOOP_HOP_MS = 1;

async function settled<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

function historyOf(error: unknown): RetryHistory {
  const history = retryHistory(error);
  if (!history) throw new Error(`no retry history on ${String(error)}`);
  return history;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('retry: what is retried', () => {
  it('retries retryable failures and answers the first success, passing the attempt number', async () => {
    const seen: number[] = [];
    const fn = flaky([refused(), refused()], 'ok');
    const policy = retry({
      idempotent: true,
      name: uniqueName('r'),
      maxAttempts: 3,
      jitter: 'none',
      initialDelayMs: 10,
    });
    const result = settled(
      policy.execute((ctx) => {
        seen.push(ctx.attempt);
        return fn();
      }),
    );
    await vi.runAllTimersAsync();
    expect(await result).toEqual({ value: 'ok' });
    expect(seen).toEqual([1, 2, 3]);
  });

  it('never retries what the taxonomy says is not retryable, and says why it gave up', async () => {
    const original = invalid();
    const fn = flaky([original], 'never');
    const { error } = await settled(
      retry({ idempotent: true, name: uniqueName('r'), maxAttempts: 5 }).execute(fn),
    );
    expect(fn.calls).toBe(1);
    expect(isFaultlineError(error)).toBe(true);
    const err = error as FaultlineError;
    expect(err.code).toBe('invalid_params');
    expect(err.cause).toBe(original);
    expect(historyOf(err)).toMatchObject({
      attempts: 1,
      codes: ['invalid_params'],
      gaveUpBecause: 'not_retryable',
    });
  });

  it('gives up after maxAttempts with every attempt code and the delays it waited', async () => {
    const fn = flaky([refused(), refused(), refused(), refused()], 'late');
    const result = settled(
      retry({
        idempotent: true,
        name: uniqueName('r'),
        maxAttempts: 3,
        jitter: 'none',
        initialDelayMs: 100,
      }).execute(fn),
    );
    await vi.runAllTimersAsync();
    const { error } = await result;
    expect(fn.calls).toBe(3);
    const err = error as FaultlineError;
    expect(err.code).toBe('connection_failed');
    expect(err.retryable).toBe(true);
    expect((err.cause as Error).message).toContain('ECONNREFUSED');
    expect(historyOf(err)).toEqual({
      policy: expect.any(String),
      attempts: 3,
      codes: ['connection_failed', 'connection_failed', 'connection_failed'],
      delaysMs: [100, 200],
      gaveUpBecause: 'exhausted',
    });
  });

  it('a user predicate decides instead of the taxonomy; a predicate that throws means no retry', async () => {
    const retryInvalid = retry({
      idempotent: true,
      name: uniqueName('r'),
      maxAttempts: 2,
      retryIf: (e) => e.code === 'invalid_params',
    });
    const fn = flaky([invalid()], 'second time lucky');
    const ok = settled(retryInvalid.execute(fn));
    await vi.runAllTimersAsync();
    expect(await ok).toEqual({ value: 'second time lucky' });

    const throwing = retry({
      idempotent: true,
      name: uniqueName('r'),
      retryIf: () => {
        throw new Error('bug in predicate');
      },
    });
    const failing = flaky([refused()], 'never');
    const { error } = await settled(throwing.execute(failing));
    expect(failing.calls).toBe(1);
    expect(historyOf(error).gaveUpBecause).toBe('not_retryable');
  });

  it('does not retry an open circuit (it is there to shed load) unless the predicate says so', async () => {
    const open = new FaultlineError({ code: 'circuit_open', retryAfterMs: 500 });
    const fn = flaky([open], 'after half-open');
    const { error } = await settled(retry({ idempotent: true, name: uniqueName('r') }).execute(fn));
    expect(fn.calls).toBe(1);
    expect(historyOf(error).gaveUpBecause).toBe('circuit_open');
    expect((error as FaultlineError).retryAfterMs).toBe(500);

    const patient = retry({
      idempotent: true,
      name: uniqueName('r'),
      retryIf: (e) => e.retryable,
      jitter: 'none',
      initialDelayMs: 1,
    });
    const again = flaky([open], 'after half-open');
    const result = settled(patient.execute(again));
    await vi.advanceTimersByTimeAsync(499);
    expect(again.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1 + LOOP_HOP_MS);
    expect(await result).toEqual({ value: 'after half-open' });
  });

  it('a synchronous throw is a failed attempt like any other', async () => {
    let calls = 0;
    const result = settled(
      retry({ idempotent: true, name: uniqueName('r'), jitter: 'none', initialDelayMs: 1 }).execute(() => {
        calls++;
        if (calls === 1) throw refused();
        return 42;
      }),
    );
    await vi.runAllTimersAsync();
    expect(await result).toEqual({ value: 42 });
  });
});

describe('retry: backoff and hints (fake timers)', () => {
  it('waits initialDelayMs * 2^(n-1), capped at maxDelayMs, before attempt n+1', async () => {
    const fn = flaky([refused(), refused(), refused(), refused()], 'done');
    const policy = retry({
      idempotent: true,
      name: uniqueName('r'),
      maxAttempts: 5,
      jitter: 'none',
      initialDelayMs: 100,
      maxDelayMs: 300,
    });
    const result = settled(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(0);
    expect(fn.calls).toBe(1);
    for (const [delay, callsAfter] of [
      [100, 2],
      [200, 3],
      [300, 4],
      [300, 5],
    ] as const) {
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(fn.calls).toBe(callsAfter - 1);
      await vi.advanceTimersByTimeAsync(1 + LOOP_HOP_MS);
      expect(fn.calls).toBe(callsAfter);
    }
    expect(await result).toEqual({ value: 'done' });
  });

  it('full jitter draws in [0, d] and equal jitter in [d/2, d]', async () => {
    for (const [jitter, random, expected] of [
      ['full', 0, 0],
      ['full', 0.999_999, 399],
      ['equal', 0, 200],
      ['equal', 0.999_999, 399],
    ] as const) {
      vi.spyOn(Math, 'random').mockReturnValue(random);
      const fn = flaky([refused(), refused(), refused()], 'x');
      const result = settled(
        retry({
          idempotent: true,
          name: uniqueName('r'),
          maxAttempts: 3,
          jitter,
          initialDelayMs: 200,
          maxDelayMs: 10_000,
        }).execute(async () => {
          await fn();
        }),
      );
      await vi.runAllTimersAsync();
      const { error } = await result;
      // Retry 2: d = 400, so full jitter lies in [0, 400] and equal jitter in [200, 400].
      expect(historyOf(error).delaysMs[1], `${jitter} with Math.random() = ${random}`).toBe(expected);
      vi.restoreAllMocks();
    }
  });

  it("honours the server's retry-after hint, raising the backoff to it", async () => {
    const fn = flaky([rateLimited(2_000)], 'served');
    const result = settled(
      retry({ idempotent: true, name: uniqueName('r'), jitter: 'none', initialDelayMs: 100 }).execute(fn),
    );
    await vi.advanceTimersByTimeAsync(1_999);
    expect(fn.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1 + LOOP_HOP_MS);
    expect(await result).toEqual({ value: 'served' });
  });

  it('caps the hint at maxRetryAfterMs', async () => {
    const fn = flaky([rateLimited(3_600_000)], 'served');
    const result = settled(
      retry({
        idempotent: true,
        name: uniqueName('r'),
        jitter: 'none',
        initialDelayMs: 100,
        maxRetryAfterMs: 1_000,
      }).execute(fn),
    );
    await vi.advanceTimersByTimeAsync(1_000 + LOOP_HOP_MS);
    expect(await result).toEqual({ value: 'served' });
    expect(fn.calls).toBe(2);
  });

  it('does not start a wait that would end past the time budget', async () => {
    const fn = flaky([refused(), refused(), refused()], 'too late');
    const result = settled(
      retry({
        idempotent: true,
        name: uniqueName('r'),
        maxAttempts: 5,
        jitter: 'none',
        initialDelayMs: 100,
        budgetMs: 250,
      }).execute(fn),
    );
    await vi.runAllTimersAsync();
    const { error } = await result;
    // Waits 100 (t=100), then 200 would end at t=300 > 250.
    expect(fn.calls).toBe(2);
    expect(historyOf(error)).toMatchObject({ attempts: 2, delaysMs: [100], gaveUpBecause: 'budget' });
  });
});

describe('retry: AbortSignal', () => {
  it('an abort during the backoff ends the wait at once and leaves no timer behind', async () => {
    const controller = new AbortController();
    const fn = flaky([refused(), refused()], 'never');
    const result = settled(
      retry({
        idempotent: true,
        name: uniqueName('r'),
        jitter: 'none',
        initialDelayMs: 60_000,
        budgetMs: Infinity,
      }).execute(fn, controller.signal),
    );
    await vi.advanceTimersByTimeAsync(10);
    expect(fn.calls).toBe(1);
    controller.abort(new Error('client went away'));
    const { error } = await result;
    expect(vi.getTimerCount()).toBe(0);
    expect(fn.calls).toBe(1);
    expect((error as FaultlineError).code).toBe('connection_failed');
    expect(historyOf(error)).toMatchObject({ attempts: 1, gaveUpBecause: 'aborted' });
  });

  it('an abort right after a wait ends the call before the next attempt, with the last error as cause', async () => {
    const controller = new AbortController();
    const first = refused();
    const fn = flaky([first], 'never reached');
    const result = settled(
      retry({ idempotent: true, name: uniqueName('r'), jitter: 'none', initialDelayMs: 100 }).execute(
        fn,
        controller.signal,
      ),
    );
    await vi.advanceTimersByTimeAsync(0);
    setTimeout(() => controller.abort(), 100); // due with the end of the wait, fires just after it
    await vi.advanceTimersByTimeAsync(100 + LOOP_HOP_MS);
    const { error } = await result;
    expect(fn.calls).toBe(1);
    expect((error as FaultlineError).cause).toBe(first);
    expect(historyOf(error)).toMatchObject({ attempts: 1, delaysMs: [100], gaveUpBecause: 'aborted' });
  });

  it('an already aborted signal runs nothing', async () => {
    const fn = flaky([], 'never');
    const reason = new Error('shutting down');
    const { error } = await settled(
      retry({ idempotent: true, name: uniqueName('r') }).execute(fn, AbortSignal.abort(reason)),
    );
    expect(fn.calls).toBe(0);
    expect((error as FaultlineError).code).toBe('cancelled');
    expect((error as FaultlineError).cause).toBe(reason);
    expect(historyOf(error)).toMatchObject({ attempts: 0, codes: [], gaveUpBecause: 'aborted' });
  });

  it('passes the signal to the function, and an abort mid-attempt is not retried', async () => {
    const controller = new AbortController();
    let calls = 0;
    const result = settled(
      retry({ idempotent: true, name: uniqueName('r') }).execute(
        ({ signal }) =>
          new Promise((_, reject) => {
            calls++;
            signal.addEventListener('abort', () => reject(signal.reason));
          }),
        controller.signal,
      ),
    );
    controller.abort(new DOMException('stop', 'AbortError'));
    const { error } = await result;
    expect(calls).toBe(1);
    expect(historyOf(error)).toMatchObject({ attempts: 1, codes: ['cancelled'], gaveUpBecause: 'aborted' });
  });
});

describe('retry: history accessor and options', () => {
  it('retryHistory is undefined for errors that did not come from a retry policy', () => {
    expect(retryHistory(new Error('x'))).toBeUndefined();
    expect(
      retryHistory(new FaultlineError({ code: 'internal_error', details: { retry: { attempts: 'x' } } })),
    ).toBeUndefined();
  });

  it.each([
    [{ name: '' }, 'FAULTLINE_ERR_INVALID_POLICY_NAME'],
    [{}, 'FAULTLINE_ERR_INVALID_POLICY_NAME'],
    [{ name: 'x', maxAttempts: 0 }, 'FAULTLINE_ERR_INVALID_RETRY_OPTION'],
    [{ name: 'x', maxAttempts: 2.5 }, 'FAULTLINE_ERR_INVALID_RETRY_OPTION'],
    [{ name: 'x', jitter: 'random' }, 'FAULTLINE_ERR_INVALID_RETRY_OPTION'],
    [{ name: 'x', initialDelayMs: 500, maxDelayMs: 100 }, 'FAULTLINE_ERR_INVALID_RETRY_OPTION'],
    [{ name: 'x', budgetMs: -1 }, 'FAULTLINE_ERR_INVALID_RETRY_OPTION'],
    [{ name: 'x', retryIf: true }, 'FAULTLINE_ERR_INVALID_RETRY_OPTION'],
  ])('rejects bad options %j with %s and says what to do', (options, code) => {
    expect(() => retry(options as never)).toThrow(
      expect.objectContaining({ code, name: 'FaultlineUsageError' }),
    );
  });

  it('names the option and the accepted values in the message', () => {
    expect(() => retry({ idempotent: true, name: 'payments', jitter: 'random' as never })).toThrow(
      "FAULTLINE_ERR_INVALID_RETRY_OPTION: retry(): `jitter` must be one of 'full', 'equal', 'decorrelated', 'none'; got \"random\"",
    );
  });

  it('execute() without a function rejects with FAULTLINE_ERR_INVALID_EXECUTE', async () => {
    await expect(retry({ idempotent: true, name: 'x' }).execute(undefined as never)).rejects.toMatchObject({
      code: 'FAULTLINE_ERR_INVALID_EXECUTE',
    });
  });
});
