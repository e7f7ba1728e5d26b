import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { configureFaultline, FaultlineError, recordError, resetFaultlineConfig } from '../src/index.js';
import { recordInFull } from '../src/internal.js';
import { MAX_GUARDED_FINGERPRINTS } from '../src/record-policy.js';
import { setupOtel } from './support/otel.js';

const otel = setupOtel();
afterAll(() => otel.shutdown());
afterEach(() => resetFaultlineConfig());

async function counted(code: string): Promise<number> {
  const points = await otel.counterPoints('faultline.errors');
  return points.filter((p) => p.attributes['error.type'] === code).reduce((n, p) => n + p.value, 0);
}

function spanNamed(name: string) {
  return otel.exporter.getFinishedSpans().find((s) => s.name === name);
}

describe('beforeRecord', () => {
  it('can change the recorded error: the span and the count carry the derived one', async () => {
    configureFaultline({
      beforeRecord: (err) => (err.code === 'not_found' ? err.with({ severity: 'medium' }) : err),
    });
    const before = await counted('not_found');
    otel.tracer.startActiveSpan('changed', (span) => {
      const returned = recordError(span, new FaultlineError({ code: 'not_found' }));
      expect(returned.severity).toBe('medium');
      span.end();
    });
    expect(spanNamed('changed')?.attributes['faultline.error.severity']).toBe('medium');
    const points = await otel.counterPoints('faultline.errors');
    expect(points.some((p) => p.attributes['error.severity'] === 'medium')).toBe(true);
    expect(await counted('not_found')).toBe(before + 1);
  });

  it('can drop a record: nothing on the span, nothing counted', async () => {
    const seen: string[] = [];
    configureFaultline({
      beforeRecord: (err, span) => {
        seen.push(`${err.code}@${span !== undefined}`);
        return err.code === 'conflict' ? null : undefined;
      },
    });
    const before = await counted('conflict');
    otel.tracer.startActiveSpan('dropped', (span) => {
      recordError(span, new FaultlineError({ code: 'conflict' }));
      span.end();
    });
    const span = spanNamed('dropped');
    expect(span?.attributes['faultline.error.code']).toBeUndefined();
    expect(span?.events).toEqual([]);
    expect(await counted('conflict')).toBe(before);
    expect(seen).toEqual(['conflict@true']);
  });

  it('a hook that throws changes nothing: the error is recorded as it is', async () => {
    configureFaultline({
      beforeRecord: () => {
        throw new Error('hook bug');
      },
    });
    otel.tracer.startActiveSpan('hook-throws', (span) => {
      recordError(span, new FaultlineError({ code: 'rate_limited' }));
      span.end();
    });
    expect(spanNamed('hook-throws')?.attributes['faultline.error.code']).toBe('rate_limited');
  });

  it('is validated: a non-function is a usage error and nothing changes', () => {
    expect(() => configureFaultline({ beforeRecord: 'nope' as never })).toThrow(
      /FAULTLINE_ERR_INVALID_CONFIG|beforeRecord/,
    );
    expect(() => configureFaultline({ ignoreCodes: ['Not A Code'] })).toThrow(/ignoreCodes/);
    expect(() => configureFaultline({ ignoreCategories: ['nope' as never] })).toThrow(/ignoreCategories/);
    expect(() => configureFaultline({ exceptionsPerSecond: -1 })).toThrow(/exceptionsPerSecond/);
  });
});

describe('ignore lists', () => {
  it('an ignored code or category is neither recorded nor counted; others are', async () => {
    configureFaultline({ ignoreCodes: ['cancelled'], ignoreCategories: ['not_found'] });
    const before = {
      cancelled: await counted('cancelled'),
      nf: await counted('not_found'),
      rl: await counted('rate_limited'),
    };
    otel.tracer.startActiveSpan('ignored', (span) => {
      recordError(span, new FaultlineError({ code: 'cancelled' }));
      recordError(span, new FaultlineError({ code: 'not_found' }));
      span.end();
    });
    expect(spanNamed('ignored')?.attributes['faultline.error.code']).toBeUndefined();
    recordError(undefined, new FaultlineError({ code: 'rate_limited' }));
    expect(await counted('cancelled')).toBe(before.cancelled);
    expect(await counted('not_found')).toBe(before.nf);
    expect(await counted('rate_limited')).toBe(before.rl + 1);
  });
});

describe('the storm guard', () => {
  function throwFromOneSite(i: number): Error {
    return new Error(`storm ${i}`);
  }

  it('writes the exception in full up to the rate per fingerprint, then suppresses it; the count stays exact', async () => {
    configureFaultline({ exceptionsPerSecond: 3 });
    const before = await counted('execution_failed');
    otel.tracer.startActiveSpan('storm', (span) => {
      for (let i = 0; i < 10; i++) recordError(span, throwFromOneSite(i));
      span.end();
    });
    const events = spanNamed('storm')?.events.filter((e) => e.name === 'exception') ?? [];
    expect(events).toHaveLength(10);
    const full = events.filter((e) => typeof e.attributes?.['exception.stacktrace'] === 'string');
    const suppressed = events.filter((e) => e.attributes?.['faultline.error.suppressed'] === true);
    expect(full).toHaveLength(3);
    expect(suppressed).toHaveLength(7);
    for (const e of suppressed) {
      expect(e.attributes?.['exception.stacktrace']).toBeUndefined();
      expect(e.attributes?.['exception.message']).toMatch(/^storm \d$/);
    }
    expect(spanNamed('storm')?.attributes['faultline.error.suppressed']).toBe(true);
    expect(await counted('execution_failed')).toBe(before + 10);
  });

  it('counts per fingerprint and per second window (property)', () => {
    configureFaultline({ exceptionsPerSecond: 5 });
    const a = new FaultlineError({ code: 'not_found', captureStack: true });
    const b = new FaultlineError({ code: 'conflict', captureStack: true });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 5_000 })), { maxLength: 200 }),
        (steps) => {
          configureFaultline({ exceptionsPerSecond: 5 });
          let now = 1_000_000;
          const windows = new Map<FaultlineError, { start: number; n: number }>();
          for (const [pickA, advance] of steps) {
            now += advance;
            const err = pickA ? a : b;
            const w = windows.get(err);
            let expected: boolean;
            if (w === undefined || now - w.start >= 1000) {
              windows.set(err, { start: now, n: 1 });
              expected = true;
            } else {
              expected = w.n < 5;
              if (expected) w.n++;
            }
            expect(recordInFull(err, now)).toBe(expected);
          }
        },
      ),
    );
  });

  it('tracks a bounded number of fingerprints: a new one is never suppressed', () => {
    configureFaultline({ exceptionsPerSecond: 1 });
    const now = 5_000_000;
    for (let i = 0; i < MAX_GUARDED_FINGERPRINTS + 50; i++) {
      const err = new FaultlineError({
        code: 'not_found',
        stack: `Error: x\n    at site${i} (/app/f${i}.js:1:1)`,
      });
      expect(recordInFull(err, now)).toBe(true);
    }
  });

  it('0 turns the guard off', () => {
    configureFaultline({ exceptionsPerSecond: 0 });
    const err = new FaultlineError({ code: 'not_found', captureStack: true });
    for (let i = 0; i < 1000; i++) expect(recordInFull(err, 42)).toBe(true);
  });
});
