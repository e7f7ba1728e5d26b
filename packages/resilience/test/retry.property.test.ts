import type { FaultlineError } from '@faultline/errors';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DelaySequence, JITTERS } from '../src/backoff.js';
import { retry, retryHistory } from '../src/index.js';
import { invalid, refused, uniqueName } from './support/faults.js';

type Step = 'retryable' | 'fatal' | 'ok';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('retry properties', () => {
  it('never makes more attempts than allowed, never retries a non-retryable error, and its history matches', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.constantFrom<Step>('retryable', 'fatal', 'ok'), { maxLength: 8 }),
        fc.constantFrom(...JITTERS),
        async (maxAttempts, steps, jitter) => {
          let calls = 0;
          const fn = async () => {
            const step = steps[calls++] ?? 'ok';
            if (step === 'retryable') throw refused();
            if (step === 'fatal') throw invalid();
            return 'ok';
          };
          const policy = retry({
            name: uniqueName('prop'),
            maxAttempts,
            jitter,
            initialDelayMs: 10,
            budgetMs: Infinity,
          });
          const outcome = policy.execute(fn).then(
            (value) => ({ value, error: undefined }),
            (error: FaultlineError) => ({ value: undefined, error }),
          );
          await vi.runAllTimersAsync();
          const { value, error } = await outcome;

          const stop = steps.findIndex((s) => s !== 'retryable');
          const firstFinal = stop === -1 ? steps.length : stop; // index of the first fatal/ok (or past the end: ok)
          const expectedCalls = Math.min(maxAttempts, firstFinal + 1);
          expect(calls).toBe(expectedCalls);
          expect(calls).toBeLessThanOrEqual(maxAttempts);
          const finalStep = steps[expectedCalls - 1] ?? 'ok';
          if (finalStep === 'ok') {
            expect(value).toBe('ok');
            return;
          }
          const history = retryHistory(error);
          expect(history?.attempts).toBe(calls);
          expect(history?.codes).toHaveLength(calls);
          expect(history?.delaysMs).toHaveLength(calls - 1);
          expect(history?.gaveUpBecause).toBe(finalStep === 'fatal' ? 'not_retryable' : 'exhausted');
          if (finalStep === 'fatal') expect(history?.codes.at(-1)).toBe('invalid_params');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('every delay lies within its jitter bounds, raised to the capped hint', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.constantFrom(...JITTERS),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.array(fc.option(fc.integer({ min: 0, max: 120_000 }), { nil: undefined }), {
          minLength: 1,
          maxLength: 10,
        }),
        fc.integer({ min: 0, max: 60_000 }),
        (initialDelayMs, extra, jitter, randoms, hints, maxRetryAfterMs) => {
          const maxDelayMs = initialDelayMs + extra;
          let r = 0;
          vi.spyOn(Math, 'random').mockImplementation(() => randoms[r++ % randoms.length] as number);
          const sequence = new DelaySequence({ initialDelayMs, maxDelayMs, jitter, maxRetryAfterMs });
          hints.forEach((hint, i) => {
            const delay = sequence.next(hint);
            const base = Math.min(maxDelayMs, initialDelayMs * 2 ** i);
            // Upper bounds are inclusive: Math.random() just below 1 times d can round to d.
            const [low, high] =
              jitter === 'none'
                ? [base, base]
                : jitter === 'full'
                  ? [0, base]
                  : jitter === 'equal'
                    ? [Math.floor(base / 2), base]
                    : [0, maxDelayMs];
            const floor = hint === undefined ? 0 : Math.min(hint, maxRetryAfterMs);
            expect(delay).toBeGreaterThanOrEqual(Math.max(low, floor));
            expect(delay).toBeLessThanOrEqual(Math.max(high, floor));
            expect(Number.isInteger(delay)).toBe(true);
          });
          vi.restoreAllMocks();
        },
      ),
      { numRuns: 500 },
    );
  });
});
