import { FaultlineError, isFaultlineError } from '@faultline/errors';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CircuitBreakerFaultlinePolicy, circuitBreaker, METRICS } from '../src/index.js';
import { invalid, refused, uniqueName } from './support/faults.js';
import { installSdk, type Telemetry } from './support/sdk.js';

let otel: Telemetry;
const live: CircuitBreakerFaultlinePolicy[] = [];

function breaker(options: Omit<Parameters<typeof circuitBreaker>[0], 'name'> = {}, name = uniqueName('b')) {
  const b = circuitBreaker({ name, ...options });
  live.push(b);
  return b;
}

const fail =
  (err: unknown = refused()) =>
  () =>
    Promise.reject(err);
const succeed = () => Promise.resolve('ok');

async function failTimes(b: CircuitBreakerFaultlinePolicy, n: number, err?: unknown) {
  for (let i = 0; i < n; i++) await b.execute(fail(err)).catch(() => undefined);
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2025-01-01T00:00:00Z') });
  otel = installSdk();
});
afterEach(async () => {
  for (const b of live.splice(0)) b.dispose();
  vi.useRealTimers();
  await otel.shutdown();
});

describe('circuit breaker: consecutive', () => {
  it('opens after `threshold` failures in a row and then fails fast with circuit_open', async () => {
    const b = breaker({ breaker: { kind: 'consecutive', threshold: 3 }, halfOpenAfterMs: 5_000 });
    await failTimes(b, 2);
    expect(b.state).toBe('closed');
    await failTimes(b, 1);
    expect(b.state).toBe('open');

    const fn = vi.fn(succeed);
    const err = await b.execute(fn).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(isFaultlineError(err)).toBe(true);
    expect(err).toMatchObject({
      code: 'circuit_open',
      retryable: true,
      retryAfterMs: 5_000,
      category: 'dependency',
    });
    expect((err as FaultlineError).details).toEqual({ breaker: b.name });
  });

  it('a success resets the consecutive count', async () => {
    const b = breaker({ breaker: { kind: 'consecutive', threshold: 2 } });
    await failTimes(b, 1);
    await b.execute(succeed);
    await failTimes(b, 1);
    expect(b.state).toBe('closed');
  });

  it('retryAfterMs counts down to the probe', async () => {
    const b = breaker({ breaker: { kind: 'consecutive', threshold: 1 }, halfOpenAfterMs: 10_000 });
    await failTimes(b, 1);
    await vi.advanceTimersByTimeAsync(7_500);
    expect(b.retryAfterMs()).toBe(2_500);
    await expect(b.execute(succeed)).rejects.toMatchObject({ retryAfterMs: 2_500 });
  });

  it('caller mistakes and cancellations do not count against the dependency', async () => {
    const b = breaker({ breaker: { kind: 'consecutive', threshold: 2 } });
    await failTimes(b, 5, invalid());
    await failTimes(b, 5, new DOMException('stop', 'AbortError'));
    expect(b.state).toBe('closed');
    await expect(b.execute(fail(invalid()))).rejects.toMatchObject({ code: 'invalid_params' });
  });

  it('a custom isFailure decides what counts', async () => {
    const b = breaker({
      breaker: { kind: 'consecutive', threshold: 2 },
      isFailure: (e) => e.code === 'invalid_params',
    });
    await failTimes(b, 3, refused());
    expect(b.state).toBe('closed');
    await failTimes(b, 2, invalid());
    expect(b.state).toBe('open');
  });
});

describe('circuit breaker: half-open', () => {
  it('lets one probe through after halfOpenAfterMs: success closes, failure re-opens', async () => {
    const b = breaker({ breaker: { kind: 'consecutive', threshold: 1 }, halfOpenAfterMs: 1_000 });
    await failTimes(b, 1);
    await vi.advanceTimersByTimeAsync(999);
    await expect(b.execute(succeed)).rejects.toMatchObject({ code: 'circuit_open' });
    await vi.advanceTimersByTimeAsync(1);

    // The probe fails (its own error passes through unchanged): open again, for another full period.
    await expect(b.execute(fail())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(b.state).toBe('open');
    expect(b.retryAfterMs()).toBe(1_000);

    await vi.advanceTimersByTimeAsync(1_000);
    let release: (v: string) => void = () => undefined;
    const probe = b.execute(() => new Promise<string>((resolve) => (release = resolve)));
    expect(b.state).toBe('half_open');
    release('recovered');
    await expect(probe).resolves.toBe('recovered');
    expect(b.state).toBe('closed');
  });

  it('backs off exponentially across re-openings when halfOpenAfterMs is a backoff', async () => {
    const b = breaker({
      breaker: { kind: 'consecutive', threshold: 1 },
      halfOpenAfterMs: { initialMs: 1_000, maxMs: 3_000 },
    });
    await failTimes(b, 1);
    expect(b.retryAfterMs()).toBe(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    await failTimes(b, 1); // failed probe
    expect(b.retryAfterMs()).toBe(2_000);
    await vi.advanceTimersByTimeAsync(2_000);
    await failTimes(b, 1);
    expect(b.retryAfterMs()).toBe(3_000);
    await vi.advanceTimersByTimeAsync(3_000);
    await failTimes(b, 1);
    expect(b.retryAfterMs()).toBe(3_000);
  });

  it('with halfOpenSampling, closes only after `calls` probes within the failure threshold', async () => {
    const b = breaker({
      breaker: { kind: 'consecutive', threshold: 1 },
      halfOpenAfterMs: 100,
      halfOpenSampling: { calls: 2, threshold: 0 },
    });
    await failTimes(b, 1);
    await vi.advanceTimersByTimeAsync(100);
    await b.execute(succeed);
    expect(b.state).toBe('half_open');
    await b.execute(succeed);
    expect(b.state).toBe('closed');
  });

  it('isolate() holds it open (no retry hint) until the handle is disposed', async () => {
    const b = breaker();
    const handle = b.isolate();
    expect(b.state).toBe('open');
    const err = await b.execute(succeed).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'circuit_open' });
    expect((err as FaultlineError).retryAfterMs).toBeUndefined();
    handle.dispose();
    await expect(b.execute(succeed)).resolves.toBe('ok');
  });
});

describe('circuit breaker: sampling and count', () => {
  it('sampling: opens when more than `threshold` of the calls in the window failed', async () => {
    const b = breaker({ breaker: { kind: 'sampling', threshold: 0.5, durationMs: 10_000, minimumRps: 0.5 } });
    for (let i = 0; i < 4; i++) await b.execute(succeed);
    await failTimes(b, 4);
    expect(b.state).toBe('closed'); // 4 of 8: not more than half
    await failTimes(b, 1);
    expect(b.state).toBe('open');
  });

  it('sampling: failures age out of the window', async () => {
    const b = breaker({ breaker: { kind: 'sampling', threshold: 0.5, durationMs: 5_000, minimumRps: 0.5 } });
    for (let i = 0; i < 4; i++) await b.execute(succeed);
    await failTimes(b, 3);
    await vi.advanceTimersByTimeAsync(6_000);
    for (let i = 0; i < 3; i++) await b.execute(succeed);
    await failTimes(b, 1);
    expect(b.state).toBe('closed');
  });

  it('count: opens when more than `threshold` of the last `size` calls failed', async () => {
    const b = breaker({ breaker: { kind: 'count', threshold: 0.5, size: 4 } });
    await b.execute(succeed);
    await failTimes(b, 2);
    await b.execute(succeed);
    expect(b.state).toBe('closed');
    await failTimes(b, 1);
    expect(b.state).toBe('open');
  });
});

describe('circuit breaker: metrics', () => {
  it('reports its state as a gauge (0 closed, 1 half-open, 2 open), labelled with its name', async () => {
    const b = breaker({ breaker: { kind: 'consecutive', threshold: 1 }, halfOpenAfterMs: 100 });
    expect(await otel.value(METRICS.CIRCUIT_STATE, { breaker: b.name })).toBe(0);
    await failTimes(b, 1);
    expect(await otel.value(METRICS.CIRCUIT_STATE, { breaker: b.name })).toBe(2);
    await vi.advanceTimersByTimeAsync(100);
    let release: () => void = () => undefined;
    const probe = b.execute(() => new Promise<void>((resolve) => (release = resolve)));
    expect(await otel.value(METRICS.CIRCUIT_STATE, { breaker: b.name })).toBe(1);
    release();
    await probe;
    expect(await otel.value(METRICS.CIRCUIT_STATE, { breaker: b.name })).toBe(0);
  });

  it('counts transitions (breaker, from, to) and rejections (breaker)', async () => {
    const b = breaker({ breaker: { kind: 'consecutive', threshold: 1 }, halfOpenAfterMs: 100 });
    await failTimes(b, 1);
    await b.execute(succeed).catch(() => undefined);
    await b.execute(succeed).catch(() => undefined);
    await vi.advanceTimersByTimeAsync(100);
    await b.execute(succeed);
    const transitions = (await otel.points(METRICS.CIRCUIT_TRANSITIONS)).filter(
      (p) => p.attributes.breaker === b.name,
    );
    expect(transitions.map((p) => [p.attributes.from, p.attributes.to, p.value]).sort()).toEqual([
      ['closed', 'open', 1],
      ['half_open', 'closed', 1],
      ['open', 'half_open', 1],
    ]);
    expect(await otel.points(METRICS.CIRCUIT_REJECTIONS)).toContainEqual({
      value: 2,
      attributes: { breaker: b.name },
    });
  });

  it('a disposed breaker leaves the gauge and frees its name', async () => {
    const name = uniqueName('b');
    const first = breaker({}, name);
    expect(() => circuitBreaker({ name })).toThrow(
      expect.objectContaining({ code: 'FAULTLINE_ERR_DUPLICATE_BREAKER_NAME' }),
    );
    first.dispose();
    expect((await otel.points(METRICS.CIRCUIT_STATE)).some((p) => p.attributes.breaker === name)).toBe(false);
    expect(breaker({}, name).name).toBe(name);
  });
});

describe('circuit breaker: options', () => {
  it.each([
    [{ breaker: { kind: 'consecutive', threshold: 0 } }, '`breaker.threshold` must be an integer >= 1'],
    [
      { breaker: { kind: 'sampling', threshold: 1, durationMs: 1000 } },
      '`breaker.threshold` must be a number strictly between 0 and 1',
    ],
    [{ breaker: { kind: 'sampling' } }, '`breaker.threshold`'],
    [
      { breaker: { kind: 'count', threshold: 0.5, size: 10, minimumCalls: 11 } },
      '`breaker.minimumCalls` must be an integer from 1 to 10',
    ],
    [{ breaker: { kind: 'ring' } }, "`breaker.kind` must be one of 'consecutive', 'sampling', 'count'"],
    [{ halfOpenAfterMs: 0 }, '`halfOpenAfterMs` must be a number of milliseconds from 1'],
    [
      { halfOpenAfterMs: { initialMs: 5000, maxMs: 10 } },
      '`halfOpenAfterMs.maxMs` must be at least initialMs',
    ],
    [
      { halfOpenSampling: { calls: 2, threshold: 1 } },
      '`halfOpenSampling.threshold` must be a number from 0 up to',
    ],
    [{ isFailure: 'yes' }, '`isFailure` must be a function'],
  ])('rejects %j: %s', (options, message) => {
    expect(() => circuitBreaker({ name: uniqueName('bad'), ...(options as object) })).toThrow(
      expect.objectContaining({
        code: 'FAULTLINE_ERR_INVALID_BREAKER_OPTION',
        message: expect.stringContaining(message),
      }),
    );
  });

  it('needs a name', () => {
    expect(() => circuitBreaker({} as never)).toThrow(
      expect.objectContaining({ code: 'FAULTLINE_ERR_INVALID_POLICY_NAME' }),
    );
  });

  it('a rejection is an error the wire codecs understand (503 / retry hint)', async () => {
    const b = breaker({ breaker: { kind: 'consecutive', threshold: 1 }, halfOpenAfterMs: 30_000 });
    await failTimes(b, 1);
    const err = (await b.execute(succeed).catch((e: unknown) => e)) as FaultlineError;
    expect(err).toBeInstanceOf(FaultlineError);
    expect(err.toJSON()).toMatchObject({ code: 'circuit_open', retryAfterMs: 30_000, retryable: true });
  });
});
