import { ERRORS_METRIC, type FaultlineError } from '@faultline/errors';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bulkhead, fallback, SPAN } from '../src/index.js';
import { refused, uniqueName } from './support/faults.js';
import { installSdk, type Telemetry } from './support/sdk.js';

let otel: Telemetry;
beforeEach(() => {
  otel = installSdk();
});
afterEach(async () => {
  await otel.shutdown();
});

describe('fallback', () => {
  it('answers the value instead of the failure, recorded as a fallback and not as an error', async () => {
    const name = uniqueName('quote-fallback');
    const errorsBefore = await otel.value(ERRORS_METRIC, { operation: name });
    const policy = fallback({ name, value: { price: null, stale: true } });
    await expect(policy.execute(() => Promise.reject(refused()))).resolves.toEqual({
      price: null,
      stale: true,
    });

    const span = otel.span(name);
    expect(span.attributes[SPAN.FALLBACK]).toBe(true);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['error.type']).toBeUndefined();
    const event = span.events.find((e) => e.name === SPAN.EVENT_FALLBACK);
    expect(event?.attributes).toMatchObject({ 'error.type': 'connection_failed', [SPAN.POLICY]: name });
    expect(await otel.value(ERRORS_METRIC, { operation: name })).toBe(errorsBefore);
  });

  it('a factory gets the classified error and the thrown value', async () => {
    const thrown = refused();
    const seen: Array<[string, unknown]> = [];
    const policy = fallback({
      factory: (err, raw) => {
        seen.push([err.code, raw]);
        return 'cached';
      },
    });
    await expect(policy.execute(() => Promise.reject(thrown))).resolves.toBe('cached');
    expect(seen).toEqual([['connection_failed', thrown]]);
  });

  it('does not fall back when the caller cancelled, or when `when` says no', async () => {
    const abort = new DOMException('stop', 'AbortError');
    await expect(fallback({ value: 0 }).execute(() => Promise.reject(abort))).rejects.toBe(abort);
    const onlyNetwork = fallback({ value: 0, when: (e) => e.category === 'network' });
    const bug = new TypeError('x is undefined');
    await expect(onlyNetwork.execute(() => Promise.reject(bug))).rejects.toBe(bug);
    await expect(onlyNetwork.execute(() => Promise.reject(refused()))).resolves.toBe(0);
  });

  it('a success is passed through untouched', async () => {
    const name = uniqueName('untouched');
    const policy = fallback({ name, value: 'fallback' });
    await expect(policy.execute(() => 'real')).resolves.toBe('real');
    expect(otel.span(name).attributes).not.toHaveProperty(SPAN.FALLBACK);
  });

  it('needs exactly one of value and factory', () => {
    expect(() => fallback({} as never)).toThrow(
      expect.objectContaining({ code: 'FAULTLINE_ERR_INVALID_FALLBACK_OPTION' }),
    );
    expect(() => fallback({ value: 1, factory: () => 2 })).toThrow(
      expect.objectContaining({ code: 'FAULTLINE_ERR_INVALID_FALLBACK_OPTION' }),
    );
  });
});

describe('bulkhead', () => {
  it('runs up to `limit` calls at once, queues `queue` more, and rejects the rest with pool_saturated', async () => {
    const name = uniqueName('pool');
    const policy = bulkhead({ name, limit: 2, queue: 1 });
    const gates: Array<() => void> = [];
    const held = () => new Promise<void>((resolve) => gates.push(resolve));
    const running = [policy.execute(held), policy.execute(held), policy.execute(held)];
    expect(policy.executionSlots).toBe(0);
    expect(policy.queueSlots).toBe(0);
    const err = (await policy.execute(held).catch((e: unknown) => e)) as FaultlineError;
    expect(err).toMatchObject({ code: 'pool_saturated', category: 'resource', retryable: true });
    expect(err.details).toEqual({ policy: name, limit: 2, queue: 1 });
    expect(otel.span(name).events.map((e) => e.name)).toContain(SPAN.EVENT_BULKHEAD_REJECTED);

    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    await Promise.all(running);
    expect(policy.executionSlots).toBe(2);
  });

  it('a queued call whose caller aborts is cancelled', async () => {
    const policy = bulkhead({ limit: 1, queue: 1 });
    let release: () => void = () => undefined;
    const first = policy.execute(() => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    const queued = policy.execute(() => 'ran', controller.signal).catch((e: unknown) => e);
    controller.abort();
    release();
    await first;
    await expect(queued).resolves.toMatchObject({ code: 'cancelled' });
  });

  it('needs a limit', () => {
    expect(() => bulkhead({} as never)).toThrow(
      expect.objectContaining({ code: 'FAULTLINE_ERR_INVALID_BULKHEAD_OPTION' }),
    );
    expect(() => bulkhead({ limit: 0 })).toThrow(
      expect.objectContaining({ code: 'FAULTLINE_ERR_INVALID_BULKHEAD_OPTION' }),
    );
  });
});
