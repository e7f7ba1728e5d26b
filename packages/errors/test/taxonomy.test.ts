import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CATEGORY_DEFAULTS,
  defineErrorCode,
  ERROR_CATEGORIES,
  FaultlineError,
  FaultlineUsageError,
  GrpcCode,
  grpcCodeFor,
  httpStatusFor,
  isValidCode,
  listErrorCodes,
  lookupErrorCode,
} from '../src/index.js';

// The default wire mapping of docs/architecture.md ("Wire mapping"), restated independently of the implementation.
const WIRE: Record<string, [keyof typeof GrpcCode, number]> = {
  validation: ['INVALID_ARGUMENT', 400],
  authentication: ['UNAUTHENTICATED', 401],
  authorization: ['PERMISSION_DENIED', 403],
  not_found: ['NOT_FOUND', 404],
  conflict: ['ABORTED', 409],
  rate_limit: ['RESOURCE_EXHAUSTED', 429],
  cancelled: ['CANCELLED', 499],
  execution: ['INTERNAL', 500],
  configuration: ['INTERNAL', 500],
  system: ['INTERNAL', 500],
  dependency: ['UNAVAILABLE', 502],
  network: ['UNAVAILABLE', 503],
  resource: ['UNAVAILABLE', 503],
  timeout: ['DEADLINE_EXCEEDED', 504],
};

const SEED = [
  'invalid_params',
  'missing_required',
  'type_mismatch',
  'unauthenticated',
  'permission_denied',
  'not_found',
  'conflict',
  'rate_limited',
  'operation_timeout',
  'deadline_exceeded',
  'connection_failed',
  'network_timeout',
  'dns_failure',
  'worker_unavailable',
  'pool_saturated',
  'memory_exhausted',
  'circuit_open',
  'dependency_failed',
  'execution_failed',
  'adapter_error',
  'import_error',
  'configuration_error',
  'internal_error',
  'cancelled',
  'unknown_error',
];

describe('taxonomy', () => {
  it('maps every category to the gRPC code and HTTP status of docs/architecture.md', () => {
    expect(Object.keys(WIRE).sort()).toEqual([...ERROR_CATEGORIES].sort());
    for (const category of ERROR_CATEGORIES) {
      const [grpc, http] = WIRE[category]!;
      expect(CATEGORY_DEFAULTS[category].grpcCode, category).toBe(GrpcCode[grpc]);
      expect(CATEGORY_DEFAULTS[category].httpStatus, category).toBe(http);
    }
  });

  it('has the seed taxonomy and a built-in code in every category', () => {
    const builtIn = listErrorCodes().filter((c) => c.builtIn);
    for (const code of SEED) expect(lookupErrorCode(code)?.builtIn, code).toBe(true);
    for (const category of ERROR_CATEGORIES) {
      expect(
        builtIn.some((c) => c.category === category),
        category,
      ).toBe(true);
    }
  });

  it('uses a code registration to override the category wire mapping', () => {
    const err = new FaultlineError({ code: 'circuit_open' });
    expect(err.category).toBe('dependency');
    expect(httpStatusFor(err)).toBe(503);
    expect(grpcCodeFor(err)).toBe(GrpcCode.UNAVAILABLE);
    expect(grpcCodeFor(new FaultlineError({ code: 'already_exists' }))).toBe(GrpcCode.ALREADY_EXISTS);
    expect(httpStatusFor(new FaultlineError({ code: 'not_implemented' }))).toBe(501);
  });

  it('registers user codes with category defaults and explicit overrides', () => {
    const spec = defineErrorCode('payment_declined', {
      category: 'validation',
      httpStatus: 402,
      retryable: false,
    });
    expect(spec).toMatchObject({
      category: 'validation',
      severity: 'low',
      httpStatus: 402,
      grpcCode: GrpcCode.INVALID_ARGUMENT,
    });
    const err = new FaultlineError({ code: 'payment_declined', message: 'card declined' });
    expect(httpStatusFor(err)).toBe(402);
    expect(err.stack).toBe('FaultlineError: card declined');
    // The same definition again is accepted (a second copy of a package); a different one is not.
    expect(() =>
      defineErrorCode('payment_declined', { category: 'validation', httpStatus: 402, retryable: false }),
    ).not.toThrow();
    expect(() => defineErrorCode('payment_declined', { category: 'conflict' })).toThrow(
      /FAULTLINE_ERR_DUPLICATE_CODE/,
    );
  });

  it('rejects bad names and specs with stable library codes', () => {
    const cases: Array<[string, unknown, string]> = [
      ['Bad-Code', { category: 'validation' }, 'FAULTLINE_ERR_INVALID_CODE'],
      ['x'.repeat(65), { category: 'validation' }, 'FAULTLINE_ERR_INVALID_CODE'],
      ['ok_code_a', { category: 'nope' }, 'FAULTLINE_ERR_INVALID_CODE_SPEC'],
      ['ok_code_b', { category: 'validation', httpStatus: 200 }, 'FAULTLINE_ERR_INVALID_CODE_SPEC'],
      ['ok_code_c', { category: 'validation', grpcCode: 0 }, 'FAULTLINE_ERR_INVALID_CODE_SPEC'],
      ['ok_code_d', { category: 'validation', severity: 'fatal' }, 'FAULTLINE_ERR_INVALID_CODE_SPEC'],
      ['ok_code_e', null, 'FAULTLINE_ERR_INVALID_CODE_SPEC'],
    ];
    for (const [code, spec, expected] of cases) {
      let thrown: unknown;
      try {
        defineErrorCode(code, spec as never);
      } catch (e) {
        thrown = e;
      }
      expect(thrown, code).toBeInstanceOf(FaultlineUsageError);
      expect((thrown as FaultlineUsageError).code).toBe(expected);
      expect(lookupErrorCode(code)).toBeUndefined();
    }
  });

  it('accepts exactly the stable snake_case codes (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const valid = isValidCode(s);
        expect(valid).toBe(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(s) && s.length <= 64);
      }),
    );
  });

  it('gives every registered code a wire mapping inside the legal ranges (property over user codes)', () => {
    const category = fc.constantFrom(...ERROR_CATEGORIES);
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/), category, (suffix, cat) => {
        const code = `prop_${suffix}_${cat}`;
        const spec = lookupErrorCode(code) ?? defineErrorCode(code, { category: cat });
        const err = new FaultlineError({ code });
        expect(err.category).toBe(spec.category);
        expect(httpStatusFor(err)).toBeGreaterThanOrEqual(400);
        expect(httpStatusFor(err)).toBeLessThan(600);
        expect(grpcCodeFor(err)).toBeGreaterThanOrEqual(1);
        expect(grpcCodeFor(err)).toBeLessThanOrEqual(16);
      }),
      { numRuns: 200 },
    );
  });
});
