// fast-check: the client-library rules are total over arbitrary look-alikes of the shapes they
// read (random names, codes, statuses, headers, hostile getters, huge and negative hints): a rule
// never throws, answers only registered codes, a retry hint is bounded, details stay bounded.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lookupErrorCode, toFaultlineError } from '../src/index.js';
import { cloudRules } from '../src/rules/cloud.js';
import { MAX_RETRY_AFTER_MS, parseRetryAfter, retryAfterFromHeaders } from '../src/rules/hints.js';
import { httpClientRules } from '../src/rules/http-clients.js';
import { matchThrown } from '../src/rules/index.js';
import { messagingRules } from '../src/rules/messaging.js';
import { nodeRules } from '../src/rules/node.js';
import type { RuleMatch, ThrownView } from '../src/rules/rule.js';
import { validationRules } from '../src/rules/validation.js';
import { safeGet, thrownFields } from '../src/safe.js';

const RULES = [...nodeRules, ...httpClientRules, ...cloudRules, ...validationRules, ...messagingRules];

const NAMES = [
  'Error',
  'TypeError',
  'SyntaxError',
  'RangeError',
  'AbortError',
  'TimeoutError',
  'AxiosError',
  'CanceledError',
  'HTTPError',
  'RequestError',
  'CancelError',
  'ParseError',
  'NetworkError',
  'FetchError',
  'RestError',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'SomethingException',
  'ZodError',
  'ValidationError',
  'TokenExpiredError',
  'JsonWebTokenError',
  'NotBeforeError',
  'KafkaJSProtocolError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSError',
  // Object.prototype's keys: a table lookup must not find its functions.
  'constructor',
  'toString',
  '__proto__',
];
const CODES = [
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ABORT_ERR',
  'ERR_CANCELED',
  'ERR_NETWORK',
  'ERR_BAD_REQUEST',
  'ERR_NON_2XX_3XX_RESPONSE',
  'UND_ERR_RESPONSE',
  'FST_ERR_CTP_INVALID_JSON_BODY',
  'FST_ERR_CTP_OTHER',
  'ERR_JWT_EXPIRED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JOSE_NEW',
  'ServerBusy',
  'REQUEST_SEND_ERROR',
  'constructor',
  'toString',
  'hasOwnProperty',
];
const MESSAGES = [
  'fetch failed',
  'validation failed',
  "can't resolve reference x",
  'timeout of 100ms exceeded',
  'jwt malformed',
  'secret or public key must be provided',
  'allocation failed',
];

/** A value that is sometimes a hostile getter (it throws on read). */
function maybeHostile<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | { hostile: true }> {
  return fc.oneof(
    { weight: 5, arbitrary: arb },
    { weight: 1, arbitrary: fc.constant({ hostile: true as const }) },
  );
}

const retryAfterText = fc.oneof(
  fc.constantFrom('1', '-1', 'NaN', '1e400', '99999999999', '0', ' 7 ', 'Wed, 21 Oct 2015 07:28:00 GMT'),
  fc.integer({ min: -1e12, max: 1e15 }).map(String),
  fc.double().map(String),
  fc.string({ maxLength: 40 }),
  fc.constant('9'.repeat(100_000)),
);

const headerValue = fc.oneof(retryAfterText, fc.array(retryAfterText, { maxLength: 3 }), fc.anything());

const plainHeaders = fc.dictionary(
  fc.constantFrom('retry-after', 'ratelimit', 'ratelimit-reset', 'x-ratelimit-reset', 'content-type', 'get'),
  headerValue,
);

const headers = fc.oneof(
  plainHeaders,
  plainHeaders.map((h) => {
    const out = new Headers();
    for (const [k, v] of Object.entries(h)) if (typeof v === 'string') out.set(k, v.slice(0, 1000));
    return out;
  }),
  fc.constant({
    get() {
      throw new Error('hostile get');
    },
  }),
  fc.anything(),
);

const status = fc.oneof(
  fc.integer({ min: 100, max: 700 }),
  fc.constantFrom(429, 503, 400, 500, Number.NaN, Number.POSITIVE_INFINITY, -1, 4.29e2 + 0.5),
  fc.anything(),
);

/** Mostly an HTTP error status (so the response-reading branches run), else anything. */
const errorStatus = fc.oneof(
  { weight: 2, arbitrary: fc.integer({ min: 400, max: 599 }) },
  { weight: 1, arbitrary: status },
);

const response = fc.oneof(
  { weight: 3, arbitrary: fc.record({ status: fc.integer({ min: 400, max: 599 }), headers }) },
  { weight: 2, arbitrary: fc.record({ status, statusCode: status, headers }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.anything() },
);

const leaf = fc.record(
  {
    name: maybeHostile(fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 20 }), fc.anything())),
    code: maybeHostile(
      fc.oneof(
        fc.constantFrom(...CODES),
        fc.integer({ min: -2, max: 20 }),
        fc.string({ maxLength: 20 }),
        fc.anything(),
      ),
    ),
    message: maybeHostile(fc.oneof(fc.constantFrom(...MESSAGES), fc.string(), fc.anything())),
    isAxiosError: fc.oneof(fc.constant(true), fc.anything()),
    response: maybeHostile(response),
    status,
    statusCode: errorStatus,
    headers,
    $fault: fc.oneof(fc.constantFrom('client', 'server'), fc.anything()),
    $metadata: fc.oneof(fc.record({ httpStatusCode: status }), fc.anything()),
    $retryable: fc.oneof(fc.record({ throttling: fc.anything() }), fc.anything()),
    $response: fc.oneof(fc.record({ headers }), fc.anything()),
    issues: fc.array(fc.record({ path: fc.array(fc.oneof(fc.string(), fc.integer(), fc.anything())) }), {
      maxLength: 30,
    }),
    isJoi: fc.oneof(fc.constant(true), fc.anything()),
    details: fc.oneof(fc.array(fc.record({ path: fc.anything() }), { maxLength: 5 }), fc.anything()),
    inner: fc.oneof(
      fc.array(fc.record({ path: fc.oneof(fc.string(), fc.anything()) }), { maxLength: 5 }),
      fc.anything(),
    ),
    errors: fc.oneof(
      fc.array(fc.record({ instancePath: fc.oneof(fc.string(), fc.anything()), params: fc.anything() }), {
        maxLength: 5,
      }),
      fc.anything(),
    ),
    ajv: fc.oneof(fc.constant(true), fc.anything()),
    missingRef: fc.anything(),
    statusDetails: fc.oneof(
      fc.array(
        fc.record({ retryDelay: fc.record({ seconds: fc.oneof(fc.string(), fc.double(), fc.anything()) }) }),
      ),
      fc.anything(),
    ),
    reason: fc.anything(),
    retriable: fc.anything(),
    type: fc.anything(),
    event: fc.anything(),
    claim: fc.anything(),
    property: fc.anything(),
    constraints: fc.anything(),
    children: fc.anything(),
  },
  // The list fields are always there (each rule reads only its own); the rest come and go.
  { requiredKeys: ['response', 'issues', 'details', 'inner', 'errors', 'statusDetails'] },
);

/** The fields that send a value into one rule's body; the rest of the look-alike stays random. */
const SHAPES: Record<string, unknown>[] = [
  { name: 'AxiosError', isAxiosError: true },
  { name: 'HTTPError' },
  { name: 'TimeoutError', code: 'ETIMEDOUT' },
  { name: 'FetchError', type: 'system' },
  { name: 'ThrottlingException', $fault: 'client' },
  { name: 'SomethingException', $fault: 'server' },
  { name: 'RestError' },
  { name: 'Error', code: 8, reason: 'RATE_LIMIT_EXCEEDED' },
  { name: 'ZodError' },
  { name: 'ValidationError', isJoi: true },
  { name: 'Error', code: undefined, message: 'validation failed', ajv: true },
  { name: 'KafkaJSProtocolError' },
];

const shapedLeaf = fc
  .tuple(leaf, fc.option(fc.constantFrom(...SHAPES), { nil: undefined }))
  .map(([fields, shape]) => (shape === undefined ? fields : { ...fields, ...shape }));

/** A thrown look-alike: an Error or a plain object with those fields (a hostile marker becomes a throwing getter), maybe a cause, maybe an array. */
const lookAlike = fc
  .tuple(
    shapedLeaf,
    fc.option(shapedLeaf, { nil: undefined }),
    fc.boolean(),
    fc.oneof({ weight: 1, arbitrary: fc.constant(true) }, { weight: 4, arbitrary: fc.constant(false) }),
  )
  .map(([fields, causeFields, asError, asArray]) => {
    const build = (f: Record<string, unknown>, error: boolean): object => {
      const target: Record<string, unknown> = error
        ? (new Error('x') as unknown as Record<string, unknown>)
        : {};
      for (const [key, value] of Object.entries(f)) {
        if (
          value !== null &&
          typeof value === 'object' &&
          (value as { hostile?: unknown }).hostile === true
        ) {
          Object.defineProperty(target, key, {
            get() {
              throw new Error(`hostile ${key}`);
            },
            enumerable: true,
          });
        } else {
          target[key] = value;
        }
      }
      return target;
    };
    const value = build(fields, asError);
    if (causeFields !== undefined) {
      try {
        (value as { cause?: unknown }).cause = build(causeFields, true);
      } catch {
        // a hostile `cause` stays hostile
      }
    }
    return asArray ? [value, build(fields, false)] : value;
  });

function viewOf(value: object): ThrownView {
  const f = thrownFields(value);
  return {
    value,
    code: f.code,
    name: f.name,
    message: f.message,
    cause: f.cause,
    get: (key) => safeGet(value, key),
    inner: (wrapped) => matchThrown(wrapped, 1),
  };
}

function expectBounded(m: RuleMatch) {
  expect(lookupErrorCode(m.code)).toBeDefined();
  if (m.retryAfterMs !== undefined) {
    expect(Number.isFinite(m.retryAfterMs)).toBe(true);
    expect(m.retryAfterMs).toBeGreaterThanOrEqual(0);
    expect(m.retryAfterMs).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS);
  }
  for (const value of Object.values(m.details ?? {})) {
    if (typeof value === 'string') expect(value.length).toBeLessThanOrEqual(64);
    if (Array.isArray(value)) {
      expect(value.length).toBeLessThanOrEqual(20);
      for (const v of value) expect((v as string).length).toBeLessThanOrEqual(64);
    }
  }
}

describe('client-library rules over arbitrary look-alikes', () => {
  it('no rule throws; every answer is a registered code with a bounded hint and bounded details', () => {
    const answered = new Set<string>();
    fc.assert(
      fc.property(lookAlike, (value) => {
        const view = viewOf(value);
        for (const rule of RULES) {
          let m: RuleMatch | undefined;
          expect(() => {
            m = rule.match(view);
          }, rule.id).not.toThrow();
          if (m !== undefined) {
            answered.add(rule.id);
            expectBounded(m);
          }
        }
      }),
      { numRuns: 600 },
    );
    // The look-alikes reach the rules' bodies, not only their first check.
    for (const id of [
      'http-clients.axios',
      'cloud.aws',
      'cloud.azure',
      'cloud.google',
      'http-clients.http-error',
      'validation.joi-yup',
      'validation.ajv',
      'validation.zod',
      'messaging.kafkajs',
    ])
      expect(answered, id).toContain(id);
  });

  it("a name, code or type that is one of Object.prototype's keys finds nothing in the tables", () => {
    for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const looks = [
        { name: 'RestError', code: key },
        { name: key, $fault: 'client' },
        { name: 'FetchError', type: key },
        { name: 'KafkaJSProtocolError', type: key },
        { name: key.startsWith('_') ? 'KafkaJS__proto__' : `KafkaJS${key}`, type: key },
        { name: 'JWTExpired', code: `ERR_J${key}` },
      ];
      for (const value of looks) {
        const view = viewOf(value);
        for (const rule of RULES) {
          const m = rule.match(view);
          if (m !== undefined) expect(typeof m.code, `${rule.id} on ${JSON.stringify(value)}`).toBe('string');
          if (m !== undefined) expect(lookupErrorCode(m.code)).toBeDefined();
        }
      }
    }
  });

  it('toFaultlineError over them yields a registered code and a bounded retry hint', () => {
    fc.assert(
      fc.property(lookAlike, (value) => {
        const err = toFaultlineError(value);
        expect(lookupErrorCode(err.code)).toBeDefined();
        if (err.retryAfterMs !== undefined) expect(Number.isFinite(err.retryAfterMs)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('retry hints from headers', () => {
  it('any headers object and status give undefined or a delay in [0, a day]', () => {
    fc.assert(
      fc.property(headers, status, (h, s) => {
        const ms = retryAfterFromHeaders(h, typeof s === 'number' ? s : undefined);
        if (ms !== undefined) {
          expect(Number.isFinite(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(0);
          expect(ms).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('Retry-After: seconds, HTTP-dates, and what is refused', () => {
    const now = Date.parse('2015-10-21T07:27:00Z');
    expect(parseRetryAfter('1', now)).toBe(1000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:20:00 GMT', now)).toBe(0);
    for (const bad of ['-1', 'NaN', '1.5', '99999999999', '', 'soon'])
      expect(parseRetryAfter(bad, now)).toBeUndefined();
    expect(parseRetryAfter('4000000', now)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('RateLimit (structured), RateLimit-Reset and X-RateLimit-Reset count only on a 429 or 503', () => {
    const now = 1_700_000_000_000;
    expect(retryAfterFromHeaders({ ratelimit: '"default";r=0;t=12' }, 429, now)).toBe(12_000);
    expect(retryAfterFromHeaders({ 'ratelimit-reset': '5' }, 503, now)).toBe(5000);
    expect(retryAfterFromHeaders({ 'x-ratelimit-reset': String(now / 1000 + 9) }, 429, now)).toBe(9000);
    expect(retryAfterFromHeaders({ 'x-ratelimit-reset': String(now + 4000) }, 429, now)).toBe(4000);
    expect(retryAfterFromHeaders({ 'x-ratelimit-reset': '3' }, 429, now)).toBe(3000);
    expect(retryAfterFromHeaders({ 'ratelimit-reset': '5' }, 400, now)).toBeUndefined();
    expect(retryAfterFromHeaders({ 'retry-after': '2', 'ratelimit-reset': '5' }, 429, now)).toBe(2000);
  });
});

describe('the error path stays cheap', () => {
  /** A view over `value` whose guarded reads are recorded in `reads`. */
  function countingView(value: object, reads: string[]): ThrownView {
    const view = viewOf(value);
    return {
      ...view,
      get(key) {
        reads.push(key);
        return view.get(key);
      },
    };
  }

  /** The keys every client-library rule reads of a value beyond the view's fields. */
  function extraReads(value: object): string[] {
    const reads: string[] = [];
    const view = countingView(value, reads);
    for (const rule of RULES) rule.match(view);
    return reads;
  }

  it('a plain Error, a TypeError or a RangeError of a bug costs no read beyond code, name, message and cause', () => {
    expect(extraReads(new Error('boom'))).toEqual([]);
    expect(extraReads(new TypeError('x is not a function'))).toEqual([]);
    expect(extraReads(new RangeError('Maximum call stack size exceeded'))).toEqual([]);
    // A SyntaxError is the one built-in class read further: body-parser marks its own with `type`.
    expect(extraReads(new SyntaxError('Unexpected token'))).toEqual(['type']);
  });

  it('a caught system error is answered by the first rule without any further read', () => {
    const caught = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const reads: string[] = [];
    expect(RULES[0]?.match(countingView(caught, reads))?.code).toBe('connection_failed');
    expect(reads).toEqual([]);
  });
});
