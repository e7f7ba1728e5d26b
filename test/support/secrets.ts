// fast-check arbitraries for the secrets redaction must catch (packages/errors/src/redact.ts's
// classes), each embedded in random prose. A case carries the text to put in a message, cause or
// detail, and the secret bytes that must never come out.
import { FaultlineError } from '@faultline/errors';
import fc from 'fast-check';

export type SecretKind = 'password' | 'bearer' | 'card' | 'jwt' | 'aws';
export const SECRET_KINDS: readonly SecretKind[] = ['password', 'bearer', 'card', 'jwt', 'aws'];

export interface SecretCase {
  kind: SecretKind;
  /** The secret itself: these characters must not appear in any answer. */
  secret: string;
  /** Random prose with the secret in it, as a message or detail would carry it. */
  text: string;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const B64URL = `${ALNUM}-_`;
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

const chars = (alphabet: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((a) => a.join(''));

/** A value with at least one digit and one upper-case letter: never a word of the prose around it. */
const token = (min: number, max: number) =>
  fc
    .tuple(chars(ALNUM, min, max), fc.constantFrom(...'0123456789'), fc.constantFrom(...'ABCDEFGHJK'))
    .map(([body, digit, upper]) => `${upper}${body}${digit}`);

function luhnDigit(payload: string): string {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    let d = payload.charCodeAt(payload.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

const card = fc
  .tuple(fc.constantFrom('4', '51', '37', '6011'), chars('0123456789', 12, 14), fc.boolean())
  .map(([prefix, rest, grouped]) => {
    const payload = (prefix + rest).slice(0, 15);
    const digits = payload + luhnDigit(payload);
    return grouped ? (digits.match(/.{1,4}/g) as string[]).join(' ') : digits;
  });

const jwt = fc
  .tuple(chars(B64URL, 10, 30), chars(B64URL, 10, 60), chars(B64URL, 10, 43))
  .map(([h, p, s]) => `eyJ${h}.eyJ${p}.${s}`);

const aws = fc.tuple(fc.constantFrom('AKIA', 'ASIA'), chars(UPPER_DIGITS, 16, 16)).map(([p, r]) => p + r);

/** The secret and how it sits in text (the context the redaction rules recognise). */
const secrets: Record<SecretKind, fc.Arbitrary<{ secret: string; phrase: string }>> = {
  password: fc
    .tuple(
      fc.constantFrom('password', 'passwd', 'secret', 'api_key', 'token', 'DB_PASSWORD'),
      fc.constantFrom('=', ': '),
      token(8, 24),
    )
    .map(([name, sep, value]) => ({ secret: value, phrase: `${name}${sep}${value}` })),
  bearer: fc
    .tuple(fc.constantFrom('Bearer', 'bearer', 'Basic'), token(16, 40))
    .map(([scheme, value]) => ({ secret: value, phrase: `${scheme} ${value}` })),
  card: card.map((number) => ({ secret: number, phrase: number })),
  jwt: jwt.map((value) => ({ secret: value, phrase: value })),
  aws: aws.map((value) => ({ secret: value, phrase: value })),
};

/** Prose words around the secret (lorem words: no digits, so a card number stays one run). */
const prose = fc.lorem({ maxCount: 6 });

export function secretCase(kind: SecretKind): fc.Arbitrary<SecretCase> {
  return fc
    .tuple(prose, secrets[kind], prose, fc.constantFrom(' ', '\n', ' (', ': '))
    .map(([before, { secret, phrase }, after, sep]) => ({
      kind,
      secret,
      text: `${before}${sep}${phrase} ${after}`.trim(),
    }));
}

export const anySecretCase: fc.Arbitrary<SecretCase> = fc
  .constantFrom(...SECRET_KINDS)
  .chain((kind) => secretCase(kind));

/** The secret's characters in `bytes` (also as JSON would escape them), if any. */
export function leaks(bytes: Uint8Array | string, secret: string): boolean {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('latin1');
  return text.includes(secret) || text.includes(JSON.stringify(secret).slice(1, -1));
}

/** The thrown values a secret reaches an answer through: message, stack header, causes, a stack's own Caused by, details. */
export function thrownWith(c: SecretCase, shape: number): unknown {
  switch (shape % 5) {
    case 0:
      return new Error(c.text);
    case 1:
      return new Error('the import failed', { cause: new Error(c.text) });
    case 2: {
      const e = new Error('request failed');
      e.stack = `${e.stack}\nCaused by: Error: ${c.text}\n    at inner (/app/src/db.js:10:5)`;
      return e;
    }
    case 3:
      return new FaultlineError({
        code: 'dependency_failed',
        message: c.text,
        cause: new Error(c.text),
        details: { note: c.text, nested: { list: [c.text] } },
        captureStack: true,
      });
    default: {
      // Fields replaced after construction: the answer must not trust what the constructor redacted.
      const err = new FaultlineError({ code: 'invalid_params', message: 'bad input', captureStack: true });
      err.message = c.text;
      (err.details as Record<string, unknown>).note = c.text;
      return err;
    }
  }
}
