// The gated dispatch (rules/index.ts) never hides a rule that would have matched: over
// look-alikes of every built-in rule's shapes (fast-check), a rule its gate skips answers nothing,
// and the dispatch's verdict is the full scan's, rule by rule.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addClassifierRule, defineErrorCode, toFaultlineError } from '../src/index.js';
import { BUILT_IN_RULES, builtInRulesFor, matchThrown, thrownView } from '../src/rules/index.js';
import type { CodeType, RuleMatch, ThrownView } from '../src/rules/rule.js';

/** A class with this constructor name (node-redis, google-gax are known by their class). */
function classNamed(name: string): new (message?: string) => Error {
  return { [name]: class extends Error {} }[name] as new (
    message?: string,
  ) => Error;
}

const CLASSES = [
  'ErrorReply',
  'SimpleError',
  'BlobError',
  'ClientClosedError',
  'ClientOfflineError',
  'ConnectionTimeoutError',
  'SocketClosedUnexpectedlyError',
  'SocketTimeoutError',
  'WatchError',
  'AbortError',
  'GoogleError',
].map(classNamed);

/** One look-alike per rule body (and per case where the cheap fields differ): the rule matches it. */
const SHAPES: Record<string, unknown>[] = [
  { code: 'ECONNREFUSED' },
  { code: 'ETIMEDOUT', name: 'AxiosError' },
  { code: 'ABORT_ERR', cause: { name: 'TimeoutError' } },
  { name: 'AbortError' },
  { name: 'TimeoutError' },
  { name: 'HeadersTimeoutError' },
  { name: 'RangeError', message: 'Array buffer allocation failed' },
  { name: 'SyntaxError', type: 'entity.parse.failed', status: 400 },
  { code: 'FST_ERR_CTP_INVALID_JSON_BODY' },
  { name: 'error', code: '23505' },
  { code: '57014', message: 'canceling statement due to statement timeout' },
  { code: '40P01' },
  { code: 'CONNECTION_CLOSED' },
  { name: 'Error', message: 'Connection terminated unexpectedly' },
  { name: 'Error', code: 'ER_DUP_ENTRY', errno: 1062, sqlState: '23000' },
  { name: 'Error', errno: 1213, sqlState: '40001' },
  { code: 'PROTOCOL_CONNECTION_LOST' },
  { name: 'MongoServerError', code: 11000 },
  { name: 'Error', code: 11000 },
  { name: 'MongoServerError', code: 999, errorLabels: ['TransientTransactionError'] },
  { name: 'MongoNetworkError' },
  { name: 'MongooseServerSelectionError' },
  { name: 'ValidationError', errors: { email: {} }, _message: 'User validation failed' },
  { name: 'CastError', path: 'age', kind: 'Number' },
  { name: 'VersionError', modifiedPaths: ['a'] },
  { name: 'ReplyError', message: 'READONLY You cannot write against a read only replica.' },
  { name: 'Error', message: 'ERR max number of clients reached', class: 0 },
  { name: 'MaxRetriesPerRequestError' },
  { name: 'Error', message: 'Connection is closed.' },
  { name: 'Error', message: 'The client is closed', class: 3 },
  { name: 'Error', message: 'Socket timeout timeout. Expecting data', class: 7 },
  { name: 'PrismaClientKnownRequestError', code: 'P2002', meta: { target: ['email'] } },
  { name: 'PrismaClientInitializationError', errorCode: 'P1001' },
  { name: 'SequelizeUniqueConstraintError', errors: [{ path: 'email' }] },
  { name: 'SequelizeDatabaseError', parent: { name: 'error', code: '23505' } },
  { name: 'QueryFailedError', driverError: { code: '40001' } },
  { name: 'EntityNotFoundError' },
  { name: 'Error', query: 'select 1', params: [], cause: { code: '23505' } },
  { name: 'AxiosError', isAxiosError: true, code: 'ERR_BAD_RESPONSE', response: { status: 503 } },
  { name: 'CanceledError', isAxiosError: true, code: 'ERR_CANCELED' },
  { name: 'HTTPError', response: { statusCode: 429, headers: { 'retry-after': '3' } } },
  { code: 'ERR_NON_2XX_3XX_RESPONSE', response: { statusCode: 404 } },
  { name: 'TimeoutError', code: 'ETIMEDOUT', event: 'connect' },
  { name: 'CancelError', code: 'ERR_CANCELED' },
  { name: 'RequestError', cause: { code: 'ECONNRESET' } },
  { name: 'NetworkError' },
  { name: 'FetchError', type: 'request-timeout' },
  { name: 'FetchError', type: 'system', code: 'ECONNREFUSED' },
  { code: 'UND_ERR_RESPONSE', statusCode: 429 },
  { name: 'TypeError', message: 'fetch failed', cause: { code: 'ECONNREFUSED' } },
  { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } },
  { name: 'SomethingException', $fault: 'server' },
  { name: 'RestError', code: 'ServerBusy', statusCode: 503 },
  { name: 'RestError', code: 'ECONNREFUSED' },
  { name: 'Error', code: 8, reason: 'RATE_LIMIT_EXCEEDED' },
  { name: 'Error', code: 14, class: 10 },
  { name: 'ZodError', issues: [{ path: ['a', 0] }] },
  { name: 'ValidationError', isJoi: true, details: [{ path: ['b'] }] },
  { name: 'ValidationError', inner: [], errors: ['x'], path: 'c' },
  { name: 'ValidationError', errors: [{ property: 'd', constraints: {} }] },
  { name: 'Error', message: 'validation failed', ajv: true, errors: [{ instancePath: '/e' }] },
  { name: 'Error', message: "can't resolve reference #/x", missingRef: '#/x' },
  { array: true },
  { name: 'BadRequestException', cause: [{ property: 'f', constraints: {} }] },
  { name: 'TokenExpiredError' },
  { name: 'JsonWebTokenError', message: 'jwt malformed' },
  { code: 'ERR_JWT_EXPIRED' },
  { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'nbf' },
  { name: 'KafkaJSProtocolError', type: 'NOT_LEADER_FOR_PARTITION', retriable: true },
  { name: 'KafkaJSNumberOfRetriesExceeded', cause: { code: 'ECONNREFUSED' } },
];

/** Builds a thrown value from fields: `class` picks a named class, `array` makes an array of two. */
function build(fields: Record<string, unknown>, asError: boolean): object {
  if (fields.array === true) {
    const item = { property: 'g', constraints: { isEmail: 'g must be an email' } };
    return [item, { ...item, property: 'h' }];
  }
  const klass = typeof fields.class === 'number' ? CLASSES[fields.class % CLASSES.length] : undefined;
  const target = (klass !== undefined ? new klass('x') : asError ? new Error('x') : {}) as unknown as Record<
    string,
    unknown
  >;
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'class' || key === 'array') continue;
    if (value !== null && typeof value === 'object' && (value as { hostile?: unknown }).hostile === true) {
      Object.defineProperty(target, key, {
        get() {
          throw new Error(`hostile ${key}`);
        },
        enumerable: true,
      });
    } else if (key === 'cause' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      target[key] = build(value as Record<string, unknown>, true);
    } else {
      target[key] = value;
    }
  }
  return target;
}

function tryMatch(rule: { match(view: ThrownView): RuleMatch | undefined }, view: ThrownView) {
  try {
    return rule.match(view) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The plain full scan of the built-in table: the first rule that answers. */
function fullScan(view: ThrownView): { id: string; match: RuleMatch } | undefined {
  for (const rule of BUILT_IN_RULES) {
    const match = tryMatch(rule, view);
    if (match !== undefined) return { id: rule.id, match };
  }
  return undefined;
}

/** Every built-in rule the gate skips for this value answers nothing; the dispatch agrees with the full scan. */
function checkGates(value: object, answered?: Set<string>): void {
  const view = thrownView(value);
  const tried = builtInRulesFor(view.name, typeof view.code as CodeType);
  for (const rule of BUILT_IN_RULES) {
    const match = tryMatch(rule, view);
    if (match !== undefined) answered?.add(rule.id);
    if (!tried.includes(rule))
      expect(
        match,
        `${rule.id} skipped by its gate yet matches ${typeof view.name === 'string' ? view.name : typeof view.name}/${typeof view.code}`,
      ).toBe(undefined);
  }
  expect(matchThrown(value)).toEqual(fullScan(view)?.match);
}

const HOSTILE = { hostile: true as const };

const NAMES = [
  ...new Set(SHAPES.map((s) => s.name).filter((n): n is string => typeof n === 'string')),
  'Error',
  'SomeError',
  'Mongo',
  'KafkaJS',
  'PrismaClient',
  'Sequelize',
  'constructor',
  '__proto__',
];
const CODES = [...new Set(SHAPES.map((s) => s.code).filter((c) => c !== undefined))];
const MESSAGES = [
  ...new Set(SHAPES.map((s) => s.message).filter((m): m is string => typeof m === 'string')),
  'Query read timeout',
  'BUSY Redis is busy running a script',
  'ERR value is not an integer or out of range',
];

const anyName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 1, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.anything() },
  { weight: 1, arbitrary: fc.constant(HOSTILE) },
);
const anyCode = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...CODES) },
  { weight: 1, arbitrary: fc.integer({ min: -1, max: 20_000 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(undefined, null, true, 1n, Symbol('c'), {}, () => 0),
  },
  { weight: 1, arbitrary: fc.anything() },
);
const anyMessage = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...MESSAGES) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.anything() },
);

/** A shape with some of its fields replaced by arbitrary ones (name, code, message, class, cause). */
const lookAlike = fc
  .tuple(
    fc.constantFrom(...SHAPES),
    fc.record(
      {
        name: anyName,
        code: anyCode,
        message: anyMessage,
        class: fc.nat({ max: 20 }),
        cause: fc.oneof(fc.constantFrom(...SHAPES), fc.anything()),
      },
      { requiredKeys: [] },
    ),
    fc.boolean(),
  )
  .map(([shape, changes, asError]) => build({ ...shape, ...changes }, asError));

describe('the gated dispatch', () => {
  it('every shape: the rule it is made for answers it, and the dispatch agrees with the full scan', () => {
    const answered = new Set<string>();
    for (const shape of SHAPES) {
      checkGates(build(shape, true), answered);
      checkGates(build(shape, false), answered);
    }
    // Every built-in rule's body is reached by its shapes.
    for (const rule of BUILT_IN_RULES) expect(answered, rule.id).toContain(rule.id);
  });

  it('over arbitrary look-alikes of those shapes, a rule its gate skips never matches', () => {
    fc.assert(
      fc.property(lookAlike, (value) => checkGates(value)),
      { numRuns: 2_000 },
    );
  });

  it('a plain Error runs a handful of rules, a caught system error and a pg error a few more', () => {
    const plain = builtInRulesFor('Error', 'undefined').map((r) => r.id);
    expect(plain.length).toBeLessThan(BUILT_IN_RULES.length / 3);
    expect(plain).not.toContain('node.code');
    expect(builtInRulesFor('Error', 'string')[0]?.id).toBe('node.code');
    expect(builtInRulesFor('error', 'string').map((r) => r.id)).toContain('postgres.sqlstate');
  });

  it('the per-(name, code type) lists stay bounded under a stream of made-up names', () => {
    for (let i = 0; i < 2_000; i++) {
      const value = Object.assign(new Error('x'), { name: `Made${i}Error`, code: `ER_${i}` });
      checkGates(value);
    }
    // Past the bound a new name still gets its list (worked out for the call alone).
    expect(builtInRulesFor('KafkaJSAfterTheBound', 'undefined').map((r) => r.id)).toContain(
      'messaging.kafkajs',
    );
  });

  it('a user rule runs ahead of the gated built-ins whatever the name and code type', () => {
    defineErrorCode('dispatch_probe', { category: 'dependency', description: 'probe' });
    const seen: unknown[] = [];
    const remove = addClassifierRule({
      id: 'test.dispatch-probe',
      libraries: [],
      cases: [{ matches: 'anything named Probe', code: 'dispatch_probe' }],
      match(view) {
        seen.push(view.name);
        return view.name === 'Probe' ? { code: 'dispatch_probe' } : undefined;
      },
    });
    try {
      expect(toFaultlineError(Object.assign(new Error('x'), { name: 'Probe', code: 5n })).code).toBe(
        'dispatch_probe',
      );
      expect(toFaultlineError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })).code).toBe(
        'connection_failed',
      );
      expect(seen).toEqual(['Probe', 'Error']);
    } finally {
      remove();
    }
    expect(toFaultlineError(Object.assign(new Error('x'), { name: 'Probe' })).code).toBe('execution_failed');
  });
});
