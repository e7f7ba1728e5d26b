// The retry budget (fake timers): retries stay within a share of the calls plus a floor, shared by
// every call of a policy and by name across policies; an empty budget gives up as `retry_budget`.
import type { FaultlineError } from '@faultline/errors';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRICS, RetryBudget, retry, retryBudget, retryHistory } from '../src/index.js';
import { refused, runToEnd, uniqueName } from './support/faults.js';
import { installSdk } from './support/sdk.js';

// cockatiel's loop puts a 0 ms timer between attempts (see retry.test.ts).
const LOOP_HOP_MS = 1;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('retry budget', () => {
  it('with a dependency failing every call, attempts stay <= (1 + share) x calls + maxTokens + floor x seconds, over any window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 2, max: 6 }),
        // Gaps between calls, in ms: bursts and quiet spells.
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 0, max: 119 }),
        fc.integer({ min: 0, max: 119 }),
        async (share, minPerSecond, maxTokens, maxAttempts, gaps, i, j) => {
          const policy = retry({
            name: uniqueName('storm'),
            maxAttempts,
            initialDelayMs: 0,
            jitter: 'none',
            budgetMs: Infinity,
            retryBudget: { share, minPerSecond, maxTokens },
          });
          const attemptsAt: number[] = [];
          const callsAt: number[] = [];
          const calls: Promise<unknown>[] = [];
          for (const gap of gaps) {
            await vi.advanceTimersByTimeAsync(gap);
            callsAt.push(Date.now());
            calls.push(
              policy
                .execute(() => {
                  attemptsAt.push(Date.now());
                  return Promise.reject(refused());
                })
                .catch((e: FaultlineError) => e),
            );
          }
          await vi.runAllTimersAsync();
          const errors = (await Promise.all(calls)) as FaultlineError[];
          // Any window [from, to] of the run.
          const from = callsAt[Math.min(i, j, callsAt.length - 1)] as number;
          const to = (callsAt[Math.min(Math.max(i, j), callsAt.length - 1)] as number) + 1;
          // A retry runs one loop hop (1 ms under fake timers) after the budget granted it: calls
          // are counted from that hop before the window on.
          const offered = callsAt.filter((t) => t >= from - LOOP_HOP_MS && t < to).length;
          const attempted = attemptsAt.filter((t) => t >= from && t < to).length;
          const seconds = (to - from + LOOP_HOP_MS) / 1000;
          expect(attempted).toBeLessThanOrEqual(
            (1 + share) * offered + maxTokens + minPerSecond * seconds + 1e-9,
          );
          // Never more than maxAttempts per call, and every call gives up with a reason.
          expect(attemptsAt.length).toBeLessThanOrEqual(maxAttempts * callsAt.length);
          for (const e of errors) {
            expect(['exhausted', 'retry_budget']).toContain(retryHistory(e)?.gaveUpBecause);
            expect(e.code).toBe('connection_failed');
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it('an empty budget fails the call with its last error and retry_budget, and refills with the floor', async () => {
    const policy = retry({
      name: uniqueName('b'),
      maxAttempts: 3,
      initialDelayMs: 0,
      retryBudget: { share: 0, minPerSecond: 1, maxTokens: 2 },
    });
    let calls = 0;
    const fail = () => {
      calls++;
      return Promise.reject(refused());
    };
    const first = await runToEnd(policy.execute(fail));
    expect(retryHistory(first.error)?.gaveUpBecause).toBe('exhausted'); // 2 tokens: 2 retries
    const second = await runToEnd(policy.execute(fail));
    expect(second.error?.code).toBe('connection_failed');
    expect(retryHistory(second.error)).toMatchObject({ attempts: 1, gaveUpBecause: 'retry_budget' });
    expect(calls).toBe(4);
    await vi.advanceTimersByTimeAsync(1_000); // one token back
    const third = await runToEnd(policy.execute(fail));
    expect(retryHistory(third.error)).toMatchObject({ attempts: 2, gaveUpBecause: 'retry_budget' });
  });

  it('is shared by every call of a policy, by name across policies, and by a retryBudget() object', async () => {
    const spec = { name: uniqueName('shared'), share: 0, minPerSecond: 0, maxTokens: 1 };
    const a = retry({ name: uniqueName('a'), initialDelayMs: 0, retryBudget: spec });
    const b = retry({ name: uniqueName('b'), initialDelayMs: 0, retryBudget: spec });
    const fail = () => Promise.reject(refused());
    expect(retryHistory((await runToEnd(a.execute(fail))).error)?.attempts).toBe(2);
    expect(retryHistory((await runToEnd(b.execute(fail))).error)?.gaveUpBecause).toBe('retry_budget');

    const budget = retryBudget({ share: 0, minPerSecond: 0, maxTokens: 1 });
    expect(budget).toBeInstanceOf(RetryBudget);
    const c = retry({ name: uniqueName('c'), initialDelayMs: 0, retryBudget: budget });
    const d = retry({ name: uniqueName('d'), initialDelayMs: 0, retryBudget: budget });
    await runToEnd(c.execute(fail));
    expect(retryHistory((await runToEnd(d.execute(fail))).error)?.gaveUpBecause).toBe('retry_budget');
    expect(budget.refused).toBe(2); // c's third attempt, d's second
    expect(budget.calls).toBe(2);

    // A second budget of the same name must have the same limits.
    expect(() => retry({ name: 'x', retryBudget: { ...spec, maxTokens: 5 } })).toThrow(
      expect.objectContaining({ code: 'FAULTLINE_ERR_INVALID_RETRY_OPTION' }),
    );
  });

  it('false turns it off: every call runs all its attempts', async () => {
    const policy = retry({ name: uniqueName('off'), initialDelayMs: 0, retryBudget: false });
    for (let k = 0; k < 30; k++) {
      const { error } = await runToEnd(policy.execute(() => Promise.reject(refused())));
      expect(retryHistory(error)?.attempts).toBe(3);
    }
  });

  it.each([
    [{ share: 2 }],
    [{ share: -0.1 }],
    [{ minPerSecond: -1 }],
    [{ maxTokens: 0 }],
    [{ maxTokens: 1.5 }],
    ['yes'],
  ])('rejects a bad budget %j with FAULTLINE_ERR_INVALID_RETRY_OPTION', (retryBudget) => {
    expect(() => retry({ name: 'x', retryBudget: retryBudget as never })).toThrow(
      expect.objectContaining({ code: 'FAULTLINE_ERR_INVALID_RETRY_OPTION', name: 'FaultlineUsageError' }),
    );
  });

  it('exports its tokens and refusals as metrics', async () => {
    const otel = installSdk();
    try {
      const name = uniqueName('metered');
      const policy = retry({
        name,
        initialDelayMs: 0,
        retryBudget: { share: 0, minPerSecond: 0, maxTokens: 1 },
      });
      await runToEnd(policy.execute(() => Promise.reject(refused())));
      await runToEnd(policy.execute(() => Promise.reject(refused())));
      expect(await otel.value(METRICS.RETRY_BUDGET_TOKENS, { budget: name })).toBe(0);
      expect(await otel.value(METRICS.RETRY_BUDGET_REFUSALS, { budget: name })).toBe(2);
      expect(await otel.value(METRICS.RETRY_ATTEMPTS, { policy: name, outcome: 'retry_budget' })).toBe(2);
    } finally {
      await otel.shutdown();
    }
  });
});
