import { safeGet } from '../safe.js';
import { casesOf, DETAIL, ownEntry } from './hints.js';
import { type BuiltInRule, boundedNames, type RuleMatch, type ThrownView } from './rule.js';

// Validation libraries (zod, joi, yup, ajv, class-validator): `invalid_params`, with the failing
// fields as a bounded detail (boundedNames: at most 20 paths of at most 64 characters, segments joined
// with '.'; a segment that is not a plain key, e.g. a record key taken from the input, reads '*';
// never a value). Auth libraries (jsonwebtoken, jose): `unauthenticated` with a bounded `reason`;
// a verify call the service itself got wrong (no key, bad options) is `configuration_error`.

/** At most this many issues are looked at: a 100 000-issue error costs what a 100-issue one does. */
const MAX_ISSUES_READ = 100;
const MAX_SEGMENTS = 16;
const SEGMENT = /^[A-Za-z0-9_$-]{1,64}$/;

function segmentOf(part: unknown): string {
  if (typeof part === 'number') return Number.isInteger(part) && part >= 0 ? String(part) : '*';
  return typeof part === 'string' && SEGMENT.test(part) ? part : '*';
}

/** Path segments joined with '.', each a plain key or index (else '*'); the root is '(root)'. */
function joinPath(parts: readonly unknown[]): string {
  const n = Math.min(parts.length, MAX_SEGMENTS);
  let out = '';
  for (let i = 0; i < n; i++) out = out === '' ? segmentOf(parts[i]) : `${out}.${segmentOf(parts[i])}`;
  if (parts.length > MAX_SEGMENTS) out += '.*';
  return out === '' ? '(root)' : out;
}

/** A dotted / bracketed path string (yup's `a.b[0]`, ajv's `/a/b/0`) as segments. */
function splitPath(path: string, separator: RegExp): string[] {
  return path.length > 1024 ? ['*'] : path.split(separator).filter((part) => part.length > 0);
}

/** The first MAX_ISSUES_READ items of a list, guarded (a hostile array's getters may throw). */
function* issuesOf(list: unknown): Generator<unknown> {
  if (!Array.isArray(list)) return;
  const n = Math.min(list.length, MAX_ISSUES_READ);
  for (let i = 0; i < n; i++) yield safeGet(list, i);
}

function* arrayPaths(list: unknown, key: string): Generator<string> {
  for (const issue of issuesOf(list)) {
    const path = safeGet(issue, key);
    if (Array.isArray(path)) yield joinPath(path);
  }
}

function invalid(paths: Iterable<string>, libraryCode: string): RuleMatch {
  return {
    code: 'invalid_params',
    details: { [DETAIL.FIELDS]: boundedNames(paths), [DETAIL.LIBRARY_CODE]: libraryCode },
  };
}

const YUP_SEPARATOR = /[.[\]"']+/;
const AJV_SEPARATOR = /\//;

/** class-validator's ValidationError: `property`, `constraints`, nested `children`. */
function isClassValidatorError(value: unknown): boolean {
  return (
    typeof safeGet(value, 'property') === 'string' &&
    (typeof safeGet(value, 'constraints') === 'object' || Array.isArray(safeGet(value, 'children')))
  );
}

function* classValidatorPaths(list: unknown, prefix: readonly string[]): Generator<string> {
  for (const item of issuesOf(list)) {
    const path = [...prefix, segmentOf(safeGet(item, 'property'))];
    const children = safeGet(item, 'children');
    if (path.length < MAX_SEGMENTS && Array.isArray(children) && children.length > 0) {
      yield* classValidatorPaths(children, path);
    } else {
      yield joinPath(path);
    }
  }
}

function classValidator(list: unknown): RuleMatch | undefined {
  if (!Array.isArray(list) || list.length === 0 || !isClassValidatorError(safeGet(list, 0))) return undefined;
  return invalid(classValidatorPaths(list, []), 'ValidationError');
}

/** jsonwebtoken's JsonWebTokenError messages: the reason, or that the call itself was wrong. */
const JWT_MESSAGES: readonly (readonly [prefix: string, reason: string])[] = [
  ['jwt must be provided', 'token_missing'],
  ['invalid signature', 'signature_invalid'],
  ['invalid algorithm', 'algorithm_not_allowed'],
  ['jwt audience invalid', 'claim_invalid'],
  ['jwt issuer invalid', 'claim_invalid'],
  ['jwt subject invalid', 'claim_invalid'],
  ['jwt jwtid invalid', 'claim_invalid'],
  ['jwt nonce invalid', 'claim_invalid'],
  ['iat required', 'claim_invalid'],
  ['please specify "none"', 'token_unsigned'],
  ['jwt must be a string', 'token_malformed'],
  ['jwt malformed', 'token_malformed'],
  ['invalid token', 'token_malformed'],
  ['jwt signature is required', 'token_malformed'],
  ['invalid nbf value', 'token_malformed'],
  ['invalid exp value', 'token_malformed'],
];

/** jsonwebtoken messages about the verify call (key, options), not the token. */
const JWT_MISUSE =
  /^(?:secret or public key must be provided|secretOrPublicKey |error in secret or public key callback|verify must be called|clockTimestamp must|nonce must|allowInvalidAsymmetricKeyTypes must|"maxAge" should)/;

function unauthenticated(reason: string, libraryCode: string): RuleMatch {
  return {
    code: 'unauthenticated',
    details: { [DETAIL.REASON]: reason, [DETAIL.LIBRARY_CODE]: libraryCode },
  };
}

/** The names the jsonwebtoken rule looks at (its gate). */
const JWT_NAMES: ReadonlySet<string> = new Set(['TokenExpiredError', 'NotBeforeError', 'JsonWebTokenError']);

/** jose error codes. */
const JOSE_CODES: Readonly<Record<string, RuleMatch>> = {
  ERR_JWT_EXPIRED: unauthenticated('token_expired', 'ERR_JWT_EXPIRED'),
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: unauthenticated(
    'signature_invalid',
    'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  ),
  ERR_JWT_CLAIM_VALIDATION_FAILED: unauthenticated('claim_invalid', 'ERR_JWT_CLAIM_VALIDATION_FAILED'),
  ERR_JOSE_ALG_NOT_ALLOWED: unauthenticated('algorithm_not_allowed', 'ERR_JOSE_ALG_NOT_ALLOWED'),
  ERR_JWS_INVALID: unauthenticated('token_malformed', 'ERR_JWS_INVALID'),
  ERR_JWT_INVALID: unauthenticated('token_malformed', 'ERR_JWT_INVALID'),
  ERR_JWE_INVALID: unauthenticated('token_malformed', 'ERR_JWE_INVALID'),
  ERR_JWE_DECRYPTION_FAILED: unauthenticated('token_invalid', 'ERR_JWE_DECRYPTION_FAILED'),
  ERR_JWKS_NO_MATCHING_KEY: unauthenticated('key_not_found', 'ERR_JWKS_NO_MATCHING_KEY'),
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: unauthenticated('key_ambiguous', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS'),
  // The key set could not be fetched or read: the identity provider's fault, not the token's.
  ERR_JWKS_TIMEOUT: { code: 'network_timeout', details: { [DETAIL.LIBRARY_CODE]: 'ERR_JWKS_TIMEOUT' } },
  ERR_JWKS_INVALID: { code: 'dependency_failed', details: { [DETAIL.LIBRARY_CODE]: 'ERR_JWKS_INVALID' } },
  ERR_JWK_INVALID: { code: 'configuration_error', details: { [DETAIL.LIBRARY_CODE]: 'ERR_JWK_INVALID' } },
  ERR_JOSE_NOT_SUPPORTED: {
    code: 'configuration_error',
    details: { [DETAIL.LIBRARY_CODE]: 'ERR_JOSE_NOT_SUPPORTED' },
  },
};

export const validationRules: readonly BuiltInRule[] = [
  {
    id: 'validation.zod',
    gate: (name) => name === 'ZodError',
    libraries: ['zod'],
    cases: [{ matches: 'ZodError `issues[].path`', code: 'invalid_params' }],
    match(view) {
      if (view.name !== 'ZodError') return undefined;
      const issues = view.get('issues');
      if (!Array.isArray(issues)) return undefined;
      return invalid(arrayPaths(issues, 'path'), 'ZodError');
    },
  },
  {
    // joi and yup both name theirs ValidationError: joi's has `isJoi` and `details[].path` (arrays),
    // yup's has `inner[].path` (strings) and its own `path`.
    id: 'validation.joi-yup',
    gate: (name) => name === 'ValidationError',
    libraries: ['joi', 'yup'],
    cases: [
      { matches: 'ValidationError `isJoi`, `details[].path` (joi)', code: 'invalid_params' },
      { matches: 'ValidationError `inner[].path` / `path`, `errors` (yup)', code: 'invalid_params' },
    ],
    match(view) {
      if (view.name !== 'ValidationError') return undefined;
      if (view.get('isJoi') === true)
        return invalid(arrayPaths(view.get('details'), 'path'), 'joi.ValidationError');
      const inner = view.get('inner');
      if (!Array.isArray(inner) || !Array.isArray(view.get('errors'))) return classValidatorWrapped(view);
      // abortEarly: false fills `inner`; otherwise the error's own `path` is the one field.
      return invalid(inner.length > 0 ? yupPaths(inner) : yupPaths([view.value]), 'yup.ValidationError');
    },
  },
  {
    // ajv's ValidationError (async schemas) and MissingRefError are named plain 'Error' with no
    // code: only their fixed messages let the rule read further.
    id: 'validation.ajv',
    gate: (name, code) => name === 'Error' && code === 'undefined',
    libraries: ['ajv'],
    cases: [
      {
        matches: "Error 'validation failed' with `ajv`, `errors[].instancePath` (ValidationError)",
        code: 'invalid_params',
      },
      {
        matches: 'Error "can\'t resolve reference" with `missingRef` (MissingRefError: a bug)',
        code: 'execution_failed',
      },
    ],
    match(view) {
      if (view.name !== 'Error' || view.code !== undefined) return undefined;
      const message = view.message;
      if (message === 'validation failed') {
        if (view.get('ajv') !== true) return undefined;
        return invalid(ajvPaths(view.get('errors')), 'ajv.ValidationError');
      }
      if (typeof message === 'string' && message.startsWith("can't resolve reference")) {
        // A schema referring to a schema nobody added: a bug in the service.
        if (typeof view.get('missingRef') !== 'string') return undefined;
        return { code: 'execution_failed', details: { [DETAIL.LIBRARY_CODE]: 'ajv.MissingRefError' } };
      }
      return undefined;
    },
  },
  {
    // class-validator returns ValidationError[]; services throw that array, or wrap it as `cause`.
    id: 'validation.class-validator',
    // No gate: an array (no name, no code) or any error whose cause is one.
    libraries: ['class-validator'],
    cases: [
      {
        matches:
          'an array of ValidationError (`property`, `constraints`, `children`), thrown or as `cause` / `errors`',
        code: 'invalid_params',
      },
    ],
    match(view) {
      if (Array.isArray(view.value)) return classValidator(view.value);
      const cause = view.cause;
      return Array.isArray(cause) ? classValidator(cause) : undefined;
    },
  },
  {
    id: 'auth.jsonwebtoken',
    gate: (name) => name !== undefined && JWT_NAMES.has(name),
    libraries: ['jsonwebtoken'],
    cases: [
      {
        matches:
          'TokenExpiredError (reason token_expired), NotBeforeError (token_not_active), JsonWebTokenError (by message: signature_invalid, token_malformed, claim_invalid...)',
        code: 'unauthenticated',
      },
      {
        matches: 'JsonWebTokenError about the verify call (no key, bad options)',
        code: 'configuration_error',
      },
    ],
    match(view) {
      const name = view.name;
      if (name === 'TokenExpiredError') return unauthenticated('token_expired', 'TokenExpiredError');
      if (name === 'NotBeforeError') return unauthenticated('token_not_active', 'NotBeforeError');
      if (name !== 'JsonWebTokenError') return undefined;
      const message = typeof view.message === 'string' ? view.message : '';
      if (JWT_MISUSE.test(message)) {
        return { code: 'configuration_error', details: { [DETAIL.LIBRARY_CODE]: 'JsonWebTokenError' } };
      }
      for (const [prefix, reason] of JWT_MESSAGES) {
        if (message.startsWith(prefix)) return unauthenticated(reason, 'JsonWebTokenError');
      }
      return unauthenticated('token_invalid', 'JsonWebTokenError');
    },
  },
  {
    id: 'auth.jose',
    gate: (_name, code) => code === 'string',
    libraries: ['jose'],
    cases: casesOf(
      Object.entries(JOSE_CODES).map(([key, m]) => [key, m.code] as const),
      (keys) => `code ${keys}`,
    ),
    match(view) {
      const code = view.code;
      if (typeof code !== 'string' || !code.startsWith('ERR_J')) return undefined;
      const known = ownEntry(JOSE_CODES, code);
      if (known === undefined) return undefined;
      // A failed `nbf` check is a token used too early, not a wrong claim.
      if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && view.get('claim') === 'nbf') {
        return unauthenticated('token_not_active', code);
      }
      return known;
    },
  },
];

function* yupPaths(list: unknown): Generator<string> {
  for (const item of issuesOf(list)) {
    const path = safeGet(item, 'path');
    if (typeof path === 'string') yield joinPath(splitPath(path, YUP_SEPARATOR));
  }
}

function* ajvPaths(list: unknown): Generator<string> {
  for (const item of issuesOf(list)) {
    const at = safeGet(item, 'instancePath');
    if (typeof at !== 'string') continue;
    const parts = splitPath(at, AJV_SEPARATOR);
    // `required` names the missing property in params, under the parent's path.
    const missing = safeGet(safeGet(item, 'params'), 'missingProperty');
    if (typeof missing === 'string') parts.push(missing);
    yield joinPath(parts);
  }
}

/** A ValidationError of the service's own that carries class-validator's array as `errors`. */
function classValidatorWrapped(view: ThrownView): RuleMatch | undefined {
  return classValidator(view.get('errors'));
}
