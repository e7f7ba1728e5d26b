import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultlineError, fingerprint, isFaultlineError } from '../src/index.js';
import { composedStack, memoOf } from '../src/internal.js';

/** An error with every option set, so that every field has a non-default value to carry. */
function everyField(): FaultlineError {
  return new FaultlineError({
    code: 'service_unavailable',
    message: 'inventory is down',
    cause: new Error('connect ECONNREFUSED'),
    details: { orderId: 42, region: 'eu' },
    retryAfterMs: 1500,
    correlationId: '4bf92f3577b34da6a3ce929d0e0e4736',
    severity: 'critical',
    retryable: false,
    service: 'inventory',
    category: 'resource',
    captureStack: true,
    remote: true,
    exceptionType: 'UpstreamError',
  });
}

describe('FaultlineError.prototype.with', () => {
  it('carries every field (a field added to FaultlineError but not to with() fails here)', () => {
    const err = everyField();
    const copy = err.with({});
    expect(copy).not.toBe(err);
    expect(isFaultlineError(copy)).toBe(true);
    // Own enumerable keys are the error's fields: the copy has the same ones with the same values.
    expect(Object.keys(copy).sort()).toEqual(Object.keys(err).sort());
    for (const key of Object.keys(err)) {
      expect({ key, value: (copy as unknown as Record<string, unknown>)[key] }).toEqual({
        key,
        value: (err as unknown as Record<string, unknown>)[key],
      });
    }
    // And the non-enumerable ones Error keeps.
    expect(copy.message).toBe(err.message);
    expect(copy.cause).toBe(err.cause);
    expect(copy.stack).toBe(err.stack);
    expect(copy.toJSON()).toEqual(err.toJSON());
  });

  it('applies overrides and validates them like constructor options', () => {
    const err = everyField();
    const shorter = err.with({ message: 'down', service: 'gateway' });
    expect(shorter.message).toBe('down');
    expect(shorter.service).toBe('gateway');
    expect(shorter.code).toBe(err.code);
    // Invalid values fall back exactly as the constructor's do.
    const bad = err.with({ severity: 'bogus' as never, retryAfterMs: -5, code: 'Not A Code' });
    const viaConstructor = new FaultlineError({
      code: 'Not A Code',
      severity: 'bogus' as never,
      retryAfterMs: -5,
    });
    expect(bad.code).toBe(viaConstructor.code);
    expect(bad.retryAfterMs).toBe(viaConstructor.retryAfterMs);
    expect(bad.severity).toBe(viaConstructor.severity);
    expect(bad.category).toBe(viaConstructor.category);
    // Secrets in an override are redacted like any message.
    expect(err.with({ message: 'password=hunter2' }).message).not.toContain('hunter2');
  });

  it('gives the copy its own memo (fingerprint and composed stack are not shared)', () => {
    const err = everyField();
    const before = fingerprint(err);
    composedStack(err);
    const copy = err.with({ code: 'internal_error', stack: undefined, captureStack: true });
    expect(memoOf(copy)).not.toBe(memoOf(err));
    expect(memoOf(copy).fingerprint).toBeUndefined();
    expect(fingerprint(copy)).not.toBe(before);
    expect(fingerprint(err)).toBe(before);
  });

  it('is total over arbitrary overrides (property)', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            code: fc.oneof(fc.string(), fc.constantFrom('not_found', 'internal_error')),
            message: fc.string(),
            retryAfterMs: fc.oneof(fc.double(), fc.integer()),
            retryable: fc.boolean(),
            details: fc.dictionary(fc.string(), fc.jsonValue()),
          },
          { requiredKeys: [] },
        ),
        (overrides) => {
          const copy = everyField().with(overrides);
          expect(isFaultlineError(copy)).toBe(true);
          expect(typeof copy.code).toBe('string');
        },
      ),
      { numRuns: 200 },
    );
  });
});
