// Retry with real client-library errors: an axios and a ky 429 carrying `Retry-After: 1` (from a
// real call to a loopback server) make the retry wait the hinted second, not its own backoff; a
// zod failure and an expired JWT (real ones) are not retried. The errors are captured with real
// timers, then thrown by the operation under fake timers, so the waits are exact.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import jwt from 'jsonwebtoken';
import ky from 'ky';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { retry, retryHistory } from '../src/index.js';
import { flaky, uniqueName } from './support/faults.js';

// cockatiel's loop puts a 0 ms timer between attempts (see retry.test.ts).
const LOOP_HOP_MS = 1;

let server: Server;
let url: string;
const real: Record<'axios429' | 'ky429' | 'zod' | 'jwt', unknown> = {
  axios429: undefined,
  ky429: undefined,
  zod: undefined,
  jwt: undefined,
};

async function failure(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (err) {
    return err;
  }
  throw new Error('the call did not fail');
}

beforeAll(async () => {
  server = createServer((_req, res) => {
    res
      .writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' })
      .end('{"error":"slow down"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/quota`;
  real.axios429 = await failure(() => axios.get(url));
  real.ky429 = await failure(() => ky(url, { retry: 0 }));
  real.zod = await failure(() => z.object({ amount: z.number().positive() }).parse({ amount: -1 }));
  const expired = jwt.sign({ sub: 'u', exp: Math.floor(Date.now() / 1000) - 60 }, 'loopback-secret');
  real.jwt = await failure(() => jwt.verify(expired, 'loopback-secret'));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  vi.useRealTimers();
});

async function settled<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

describe('retry honours the hint of a real HTTP-client 429', () => {
  for (const client of ['axios429', 'ky429'] as const) {
    it(`${client}: waits the hinted 1000 ms (its own backoff is 10 ms), then succeeds`, async () => {
      vi.useFakeTimers();
      const fn = flaky([real[client]], 'served');
      const result = settled(
        retry({ idempotent: true, name: uniqueName('hint'), jitter: 'none', initialDelayMs: 10 }).execute(fn),
      );
      await vi.advanceTimersByTimeAsync(999);
      expect(fn.calls).toBe(1);
      await vi.advanceTimersByTimeAsync(1 + LOOP_HOP_MS);
      expect(await result).toEqual({ value: 'served' });
      expect(fn.calls).toBe(2);
    });
  }

  it('gives up after its attempts with rate_limited, the hint and the waits in the history', async () => {
    vi.useFakeTimers();
    const fn = flaky([real.axios429, real.axios429, real.axios429], 'never');
    const result = settled(
      retry({
        idempotent: true,
        name: uniqueName('hint'),
        maxAttempts: 3,
        jitter: 'none',
        initialDelayMs: 10,
      }).execute(fn),
    );
    await vi.runAllTimersAsync();
    const { error } = await result;
    expect(error).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 1000 });
    expect(retryHistory(error)).toMatchObject({
      attempts: 3,
      delaysMs: [1000, 1000],
      gaveUpBecause: 'exhausted',
    });
  });
});

describe('retry never repeats a validation or authentication failure', () => {
  for (const [kind, code] of [
    ['zod', 'invalid_params'],
    ['jwt', 'unauthenticated'],
  ] as const) {
    it(`${kind}: one attempt, given up as not_retryable with ${code}`, async () => {
      vi.useFakeTimers();
      const fn = flaky([real[kind], real[kind]], 'never');
      const result = settled(
        retry({ idempotent: true, name: uniqueName('once'), maxAttempts: 5, initialDelayMs: 10 }).execute(fn),
      );
      await vi.runAllTimersAsync();
      const { error } = await result;
      expect(fn.calls).toBe(1);
      expect(error).toMatchObject({ code, retryable: false });
      expect(retryHistory(error)).toMatchObject({ attempts: 1, gaveUpBecause: 'not_retryable' });
    });
  }
});
