import type { FaultlineError } from '@faultline/errors';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { timeout } from '../src/index.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Resolves with `value` after `ms`, ignoring any signal. */
const slow =
  <T>(ms: number, value: T) =>
  () =>
    new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

/** Rejects with the signal's reason when it aborts; never settles otherwise. */
const obedient = ({ signal }: { signal: AbortSignal }) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));

describe('timeout: aggressive', () => {
  it('rejects at the deadline with operation_timeout even when the function ignores the signal', async () => {
    const policy = timeout({ name: 'quote', ms: 1_000, strategy: 'aggressive' });
    let seen: AbortSignal | undefined;
    const result = policy
      .execute(({ signal }) => {
        seen = signal;
        return slow(60_000, 'too late')();
      })
      .catch((e: FaultlineError) => e);
    await vi.advanceTimersByTimeAsync(999);
    expect(seen?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const err = (await result) as FaultlineError;
    expect(err).toMatchObject({ code: 'operation_timeout', category: 'timeout', retryable: true });
    expect(err.details).toEqual({ policy: 'quote', timeoutMs: 1_000, strategy: 'aggressive' });
    expect(seen?.aborted).toBe(true);
  });

  it('answers normally before the deadline and does not abort the signal after returning', async () => {
    let seen: AbortSignal | undefined;
    const result = timeout({ ms: 1_000 }).execute(({ signal }) => {
      seen = signal;
      return slow(10, 'fast')();
    });
    await vi.advanceTimersByTimeAsync(10);
    await expect(result).resolves.toBe('fast');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(seen?.aborted).toBe(false);
  });

  it('a caller abort is a cancellation, not a timeout', async () => {
    const controller = new AbortController();
    const result = timeout({ ms: 1_000 })
      .execute(slow(60_000, 'x'), controller.signal)
      .catch((e) => e);
    controller.abort();
    await expect(result).resolves.toMatchObject({ code: 'cancelled' });
  });

  it("passes the function's own failures through unchanged", async () => {
    const boom = new Error('boom');
    await expect(timeout({ ms: 1_000 }).execute(() => Promise.reject(boom))).rejects.toBe(boom);
  });
});

describe('timeout: cooperative', () => {
  it('aborts the signal at the deadline and reports the function giving up as a timeout', async () => {
    const result = timeout({ ms: 500, strategy: 'cooperative' })
      .execute(obedient)
      .catch((e: FaultlineError) => e);
    await vi.advanceTimersByTimeAsync(500);
    const err = (await result) as FaultlineError;
    expect(err.code).toBe('operation_timeout');
    expect((err.cause as DOMException).name).toBe('AbortError');
  });

  it('waits for a function that ignores the signal, and answers its value', async () => {
    const result = timeout({ ms: 500, strategy: 'cooperative' }).execute(slow(2_000, 'finished anyway'));
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(result).resolves.toBe('finished anyway');
  });
});

describe('timeout: options', () => {
  it.each([
    [{}, '`ms` must be a number of milliseconds'],
    [{ ms: 0 }, '`ms` must be a number of milliseconds from 1'],
    [{ ms: 100, strategy: 'optimistic' }, "`strategy` must be one of 'aggressive', 'cooperative'"],
    [{ ms: 100, name: '' }, '`name` must be a non-empty string'],
  ])('rejects %j: %s', (options, message) => {
    expect(() => timeout(options as never)).toThrow(
      expect.objectContaining({
        code: 'FAULTLINE_ERR_INVALID_TIMEOUT_OPTION',
        message: expect.stringContaining(message),
      }),
    );
  });
});
