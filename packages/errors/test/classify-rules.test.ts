// The rule table: user rules ahead of the built-ins, validated; the classifier stays total over
// look-alikes of the database shapes (fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addClassifierRule,
  classifierRules,
  defineErrorCode,
  FaultlineUsageError,
  isFaultlineError,
  lookupErrorCode,
  toFaultlineError,
  WRAPPED,
} from '../src/index.js';
import { matchThrown } from '../src/rules/index.js';
import { safeGet, thrownFields } from '../src/safe.js';

describe('the built-in table', () => {
  it('every rule has a unique id, and every case names a registered code (or WRAPPED)', () => {
    const rules = classifierRules();
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
    for (const rule of rules)
      for (const c of rule.cases ?? [])
        expect(c.code === WRAPPED || lookupErrorCode(c.code) !== undefined, `${rule.id}: ${c.code}`).toBe(
          true,
        );
  });
});

describe('addClassifierRule', () => {
  it('runs a user rule ahead of the built-ins and removes it again', () => {
    defineErrorCode('billing_gateway_down', {
      category: 'dependency',
      description: 'The payment gateway is down.',
    });
    const dup = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect(toFaultlineError(dup).code).toBe('already_exists');
    const remove = addClassifierRule({
      id: 'billing.gateway',
      libraries: ['billing-sdk'],
      cases: [{ matches: 'SQLSTATE 23505 from the gateway', code: 'billing_gateway_down' }],
      match: (view) =>
        view.code === '23505' ? { code: 'billing_gateway_down', details: { gateway: 'x' } } : undefined,
    });
    try {
      expect(classifierRules()[0]?.id).toBe('billing.gateway');
      const err = toFaultlineError(dup);
      expect(err.code).toBe('billing_gateway_down');
      expect(err.details).toEqual({ gateway: 'x' });
    } finally {
      remove();
    }
    expect(toFaultlineError(dup).code).toBe('already_exists');
    expect(classifierRules().some((r) => r.id === 'billing.gateway')).toBe(false);
  });

  it('refuses a rule naming an unregistered code, a bad id, no match function or a taken id, naming the rule', () => {
    const bad = [
      {
        id: 'x.unregistered',
        libraries: [],
        cases: [{ matches: 'm', code: 'nobody_registered_this' }],
        match: () => undefined,
      },
      {
        id: 'Not An Id',
        libraries: [],
        cases: [{ matches: 'm', code: 'not_found' }],
        match: () => undefined,
      },
      { id: 'x.nomatch', libraries: [], cases: [{ matches: 'm', code: 'not_found' }] },
      { id: 'x.nocases', libraries: [], match: () => undefined },
      {
        id: 'postgres.sqlstate',
        libraries: [],
        cases: [{ matches: 'm', code: 'not_found' }],
        match: () => undefined,
      },
    ];
    for (const rule of bad) {
      let thrown: unknown;
      try {
        addClassifierRule(rule as never);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(FaultlineUsageError);
      expect((thrown as FaultlineUsageError).code).toBe('FAULTLINE_ERR_INVALID_CLASSIFIER_RULE');
      expect((thrown as Error).message).toContain(rule.id.slice(0, 10));
    }
  });

  it("redacts a user rule's details, frozen or not (only built-in rules' frozen details are taken as they are)", () => {
    const remove = addClassifierRule({
      id: 'x.leaky',
      libraries: [],
      cases: [{ matches: 'code LEAKY', code: 'dependency_failed' }],
      match: (view) =>
        view.code === 'LEAKY'
          ? {
              code: 'dependency_failed',
              details: Object.freeze({ api_key: 'sk-live-123', contact: 'bob@example.com' }),
            }
          : undefined,
    });
    try {
      const err = toFaultlineError(Object.assign(new Error('x'), { code: 'LEAKY' }));
      expect(err.code).toBe('dependency_failed');
      expect(JSON.stringify(err.details)).not.toMatch(/sk-live-123|bob@example\.com/);
    } finally {
      remove();
    }
  });

  it('a rule that throws, or answers an unregistered code, is no match and never breaks classification', () => {
    const removeThrowing = addClassifierRule({
      id: 'x.throws',
      libraries: [],
      cases: [{ matches: 'anything', code: 'not_found' }],
      match: () => {
        throw new Error('rule bug');
      },
    });
    const removeWrong = addClassifierRule({
      id: 'x.wrong-code',
      libraries: [],
      cases: [{ matches: 'anything', code: 'not_found' }],
      match: () => ({ code: 'nobody_registered_this' }),
    });
    const removeHostile = addClassifierRule({
      id: 'x.hostile',
      libraries: [],
      cases: [{ matches: 'anything', code: 'not_found' }],
      match: () =>
        new Proxy({} as { code: string }, {
          get() {
            throw new Error('hostile');
          },
        }),
    });
    try {
      const err = toFaultlineError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }));
      expect(err.code).toBe('connection_failed');
      expect(toFaultlineError(new Error('plain')).code).toBe('execution_failed');
    } finally {
      removeThrowing();
      removeWrong();
      removeHostile();
    }
  });
});

describe('the classifier stays total over database look-alikes', () => {
  const prefixes = [
    'READONLY ',
    'ERR ',
    'WRONGTYPE ',
    'OOM ',
    'MOVED 1 ',
    'E11000 ',
    'Connection terminated',
    '',
  ];
  const names = [
    'error',
    'PostgresError',
    'ReplyError',
    'Error',
    'MongoServerError',
    'MongoNetworkError',
    'ValidationError',
    'CastError',
    'SequelizeUniqueConstraintError',
    'QueryFailedError',
    'DrizzleQueryError',
    'PrismaClientKnownRequestError',
    'PrismaClientInitializationError',
    'VersionError',
  ];
  const hostile = fc.constant(
    new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        getPrototypeOf() {
          throw new Error('trap');
        },
      },
    ),
  );
  const lookAlike = fc.record(
    {
      name: fc.oneof(fc.constantFrom(...names), fc.string()),
      code: fc.oneof(
        fc.string({ maxLength: 6 }),
        fc.integer(),
        fc.constantFrom('23505', '57014', 'ER_DUP_ENTRY', 'P2002', 11000),
      ),
      errno: fc.oneof(fc.integer(), fc.constant(1062), fc.string()),
      sqlState: fc.oneof(fc.string({ maxLength: 6 }), fc.constant('23000')),
      message: fc.tuple(fc.constantFrom(...prefixes), fc.string()).map(([p, m]) => p + m),
      errorLabels: fc.oneof(
        fc.array(fc.constantFrom('TransientTransactionError', 'RetryableWriteError')),
        fc.anything(),
      ),
      errors: fc.anything(),
      _message: fc.anything(),
      parent: fc.oneof(fc.anything(), hostile),
      driverError: fc.oneof(fc.anything(), hostile),
      cause: fc.oneof(fc.anything(), hostile),
      meta: fc.anything(),
      path: fc.anything(),
      kind: fc.anything(),
    },
    { requiredKeys: [] },
  );

  it('never throws and always yields a registered code', () => {
    fc.assert(
      fc.property(fc.oneof(lookAlike, hostile), fc.boolean(), (fields, asError) => {
        const value = asError ? Object.assign(new Error(), fields) : fields;
        const err = toFaultlineError(value);
        expect(isFaultlineError(err)).toBe(true);
        expect(lookupErrorCode(err.code)).toBeDefined();
      }),
      { numRuns: 2_000 },
    );
  });

  it('with hostile getters on every field', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.constantFrom(
          'code',
          'errno',
          'sqlState',
          'errors',
          'parent',
          'driverError',
          'errorLabels',
          'hasErrorLabel',
          'meta',
        ),
        (name, key) => {
          const value = Object.assign(new Error('READONLY x'), { name, code: '23505' });
          Object.defineProperty(value, key, {
            get() {
              throw new Error('getter');
            },
          });
          const err = toFaultlineError(value);
          expect(lookupErrorCode(err.code)).toBeDefined();
        },
      ),
    );
  });
});

describe('the database families keep the error path cheap', () => {
  const DB_FAMILIES = /^(postgres|mysql|mongodb|mongoose|redis|orm)\./;

  /** The keys the database rules read of `value` beyond code, name, message and cause. */
  function extraReads(value: object): string[] {
    const reads: string[] = [];
    const f = thrownFields(value);
    const view = {
      value,
      code: f.code,
      name: f.name,
      message: f.message,
      cause: f.cause,
      get(key: string) {
        reads.push(key);
        return safeGet(value, key);
      },
      inner: (wrapped: unknown) => matchThrown(wrapped, 1),
    };
    for (const rule of classifierRules().filter((r) => DB_FAMILIES.test(r.id))) rule.match(view);
    return reads;
  }

  it("a bug's TypeError or RangeError costs no further read; a plain Error one ('errno', for mysql2's unnamed numbers)", () => {
    expect(extraReads(new TypeError('x is not a function'))).toEqual([]);
    expect(extraReads(new RangeError('Maximum call stack size exceeded'))).toEqual([]);
    expect(extraReads(new Error('boom'))).toEqual(['errno']);
  });

  it('a caught system error and a pg error are decided without further reads', () => {
    expect(extraReads(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toEqual(
      [],
    );
    expect(extraReads(Object.assign(new Error('duplicate key'), { name: 'error', code: '23505' }))).toEqual(
      [],
    );
  });
});
