// Idempotency decides what is retried after the request may have reached the server, and a peer's
// word on its own error is bounded (fake timers; fast-check over errors and options).
import { ERROR_CATEGORIES, FaultlineError } from '@faultline/errors';
import { CALLER_FAULT_CATEGORIES } from '@faultline/errors/internal';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isIdempotent, notSent, retry, retryHistory } from '../src/index.js';
import { refused, runToEnd, uniqueName } from './support/faults.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
const unavailable = () => new FaultlineError({ code: 'service_unavailable', remote: true });
const noConnection = () =>
  new FaultlineError({
    code: 'service_unavailable',
    remote: true,
    message: 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:50051',
  });

/** Attempts made by a policy whose function fails with `make()` on the first attempt only. */
async function attemptsWith(options: Parameters<typeof retry>[0], make: () => unknown) {
  let calls = 0;
  const { error } = await runToEnd(
    retry({ initialDelayMs: 1, retryBudget: false, ...options }).execute(() => {
      calls++;
      if (calls === 1) throw make();
      return 'ok';
    }),
  );
  return { calls, reason: retryHistory(error)?.gaveUpBecause };
}

describe('idempotency', () => {
  it('HTTP methods per RFC 9110 and gRPC idempotency_level', () => {
    for (const m of ['GET', 'head', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']) expect(isIdempotent(m)).toBe(true);
    for (const m of ['POST', 'PATCH', 'CONNECT', '', 'GETX']) expect(isIdempotent(m)).toBe(false);
    expect(isIdempotent({ options: { idempotency_level: 'IDEMPOTENT' } })).toBe(true);
    expect(isIdempotent({ options: { idempotency_level: 'NO_SIDE_EFFECTS' } })).toBe(true);
    expect(isIdempotent({ options: { idempotency_level: 'IDEMPOTENCY_UNKNOWN' } })).toBe(false);
    expect(isIdempotent({ options: {} })).toBe(false);
    expect(isIdempotent(undefined)).toBe(false);
  });

  it('by default only a failure that never reached the server is retried', async () => {
    const name = uniqueName('post');
    expect(await attemptsWith({ name }, refused)).toEqual({ calls: 2, reason: undefined });
    expect(await attemptsWith({ name }, noConnection)).toEqual({ calls: 2, reason: undefined });
    expect(await attemptsWith({ name }, reset)).toEqual({ calls: 1, reason: 'not_idempotent' });
    expect(await attemptsWith({ name }, unavailable)).toEqual({ calls: 1, reason: 'not_idempotent' });
    expect(await attemptsWith({ name, method: 'POST' }, reset)).toMatchObject({ reason: 'not_idempotent' });
  });

  it('an idempotent operation (option or method) is retried after it may have reached the server', async () => {
    expect(await attemptsWith({ name: uniqueName('get'), method: 'GET' }, reset)).toEqual({
      calls: 2,
      reason: undefined,
    });
    expect(await attemptsWith({ name: uniqueName('i'), idempotent: true }, unavailable)).toEqual({
      calls: 2,
      reason: undefined,
    });
    // The explicit option wins over the method.
    expect(
      await attemptsWith({ name: uniqueName('i'), method: 'GET', idempotent: false }, reset),
    ).toMatchObject({
      reason: 'not_idempotent',
    });
  });

  it('property: without idempotency, a retry happens only after a failure notSent() vouches for', async () => {
    const codes = [
      'connection_failed',
      'connection_reset',
      'network_timeout',
      'service_unavailable',
      'dns_failure',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...codes),
        fc.boolean(),
        fc.option(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH'), { nil: undefined }),
        async (code, remote, method) => {
          const err = new FaultlineError({ code, remote, retryable: true });
          const { calls } = await attemptsWith(
            { name: uniqueName('p'), ...(method ? { method } : {}) },
            () => err,
          );
          const expected = notSent(err) || isIdempotent(method) ? 2 : 1;
          expect(calls).toBe(expected);
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('remote hints', () => {
  it('property: a remote error of a caller-fault category is never retried, whatever retryIf says', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ERROR_CATEGORIES), fc.boolean(), async (category, retryable) => {
        const err = new FaultlineError({ code: `peer_${category}`, category, remote: true, retryable });
        const { calls, reason } = await attemptsWith(
          { name: uniqueName('h'), idempotent: true, retryIf: () => true },
          () => err,
        );
        if (CALLER_FAULT_CATEGORIES.has(category)) {
          expect(calls).toBe(1);
          expect(reason).toBe('not_retryable');
        } else {
          expect(calls).toBe(2);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("trustRemoteRetryable: false ignores a peer's retryable and asks the local taxonomy", async () => {
    // A peer that says its internal error is retryable (the taxonomy says execution errors are not).
    const lying = () => new FaultlineError({ code: 'internal_error', remote: true, retryable: true });
    expect(await attemptsWith({ name: uniqueName('t'), idempotent: true }, lying)).toMatchObject({
      calls: 2,
    });
    expect(
      await attemptsWith({ name: uniqueName('d'), idempotent: true, trustRemoteRetryable: false }, lying),
    ).toEqual({ calls: 1, reason: 'not_retryable' });
    // A peer that says a retryable kind is not: distrusted, the taxonomy retries it.
    const shy = () => new FaultlineError({ code: 'service_unavailable', remote: true, retryable: false });
    expect(
      await attemptsWith({ name: uniqueName('d'), idempotent: true, trustRemoteRetryable: false }, shy),
    ).toMatchObject({ calls: 2 });
    // A local error is ours: its retryable stands.
    const local = () => new FaultlineError({ code: 'internal_error', retryable: true });
    expect(
      await attemptsWith({ name: uniqueName('d'), idempotent: true, trustRemoteRetryable: false }, local),
    ).toMatchObject({ calls: 2 });
  });

  it('property: the wait never exceeds max(backoff cap, maxRetryAfterMs), whatever hint the peer sends', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        async (hint, cap) => {
          const err = new FaultlineError({ code: 'rate_limited', remote: true, retryAfterMs: hint });
          const { error } = await runToEnd(
            retry({
              name: uniqueName('cap'),
              idempotent: true,
              maxAttempts: 2,
              initialDelayMs: 10,
              maxDelayMs: 10,
              maxRetryAfterMs: cap,
              budgetMs: Infinity,
              retryBudget: false,
            }).execute(() => Promise.reject(err)),
          );
          const [delay] = retryHistory(error)?.delaysMs ?? [];
          expect(delay).toBeLessThanOrEqual(Math.max(10, cap));
        },
      ),
      { numRuns: 60 },
    );
  });

  it.each([[{ idempotent: 'yes' }], [{ method: 'G ET' }], [{ method: 3 }], [{ trustRemoteRetryable: 1 }]])(
    'rejects %j with FAULTLINE_ERR_INVALID_RETRY_OPTION',
    (options) => {
      expect(() => retry({ name: 'x', ...(options as object) })).toThrow(
        expect.objectContaining({ code: 'FAULTLINE_ERR_INVALID_RETRY_OPTION' }),
      );
    },
  );
});
