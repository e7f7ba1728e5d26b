import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  configureFaultline,
  FaultlineUsageError,
  redact,
  redactValue,
  resetFaultlineConfig,
} from '../src/index.js';
import { mayHoldSecret } from '../src/redact.js';

afterEach(() => resetFaultlineConfig());

describe('redact', () => {
  it.each([
    ['bearer token', 'Authorization: Bearer eyAbc.def-123456789', ['eyAbc.def-123456789']],
    ['basic auth', 'sent Basic dXNlcjpwYXNzd29yZA== upstream', ['dXNlcjpwYXNzd29yZA==']],
    ['cookie header', 'cookie: session=abc123; theme=dark', ['abc123']],
    ['password pair', 'https://x/login?user=bob&password=hunter2&x=1', ['hunter2']],
    ['json secret', '{"client_secret": "s3cr3t-value"}', ['s3cr3t-value']],
    ['api key', 'api_key=AIzaSyA-1234567890', ['AIzaSyA-1234567890']],
    ['token pair', 'refresh token=tok_9f8e7d6c', ['tok_9f8e7d6c']],
    ['jwt', 'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature_here', ['eyJzdWIiOiIxIn0']],
    ['aws key', 'key AKIAIOSFODNN7EXAMPLE used', ['AKIAIOSFODNN7EXAMPLE']],
    ['card number', 'card 4111 1111 1111 1111 declined', ['4111 1111 1111 1111']],
    ['email', 'user jane.doe+x@corp.example.com not found', ['jane.doe+x@corp.example.com']],
  ])('removes a %s', (_name, input, secrets) => {
    const out = redact(input);
    for (const s of secrets) expect(out).not.toContain(s);
    expect(out).toContain('[REDACTED]');
  });

  it('leaves ordinary numbers and text alone', () => {
    expect(redact('order 1234567890123 failed after 3 retries')).toBe(
      'order 1234567890123 failed after 3 retries',
    );
    expect(redact('GET /users/42 returned 503')).toBe('GET /users/42 returned 503');
  });

  it('applies configured patterns and rejects bad ones with a stable code', () => {
    configureFaultline({ redactPatterns: [/acct-\d+/, 'ssn:\\d{3}-\\d{2}-\\d{4}'] });
    expect(redact('acct-12345 ssn:123-45-6789')).toBe('[REDACTED] [REDACTED]');
    expect(() => configureFaultline({ redactPatterns: ['('] })).toThrow(FaultlineUsageError);
    expect(() => configureFaultline({ redactPatterns: ['('] })).toThrow(
      /FAULTLINE_ERR_INVALID_REDACTION_PATTERN/,
    );
  });

  it('never leaves an embedded secret value in the output (property)', () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9]{8,24}$/);
    const noise = fc.string({ maxLength: 40 }).map((s) => s.replace(/[=:"'\s&;,}]/g, ' '));
    const key = fc.constantFrom(
      'password',
      'secret',
      'token',
      'api_key',
      'apikey',
      'access_token',
      'client_secret',
    );
    fc.assert(
      fc.property(noise, key, secret, noise, (before, k, v, after) => {
        const out = redact(`${before} ${k}=${v} ${after}`);
        expect(out).toContain(`${k}=[REDACTED]`);
      }),
      { numRuns: 300 },
    );
  });

  it('redacts values by key, bounds size and survives cycles and hostile getters', () => {
    const cyclic: Record<string, unknown> = {
      name: 'x',
      password: 'p',
      nested: { apiKey: 'k', note: 'mail me@x.io' },
    };
    cyclic.self = cyclic;
    Object.defineProperty(cyclic, 'bad', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    expect(redactValue(cyclic)).toEqual({
      name: 'x',
      password: '[REDACTED]',
      nested: { apiKey: '[REDACTED]', note: 'mail [REDACTED]' },
      self: '[Circular]',
      bad: '[Unreadable]',
    });
    // A DAG whose shared references would fan out exponentially is cut by the node budget.
    let dag: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 30; i++) dag = { a: dag, b: dag };
    expect(JSON.stringify(redactValue(dag)).length).toBeLessThan(200_000);
  });

  it('pre-check accepts exactly what the single-regex pre-check it replaced accepted (property)', () => {
    // The pre-check that preceded mayHoldSecret, kept here as the reference.
    const reference =
      /authorization|cookie|x-api-key|bearer|basic|password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|eyJ|AKIA|ASIA|\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d[ -]?\d|@/i;
    // Fragments near every trigger (prefixes, case changes, separators) so matches and near misses are frequent.
    const fragment = fc.constantFrom(
      'author',
      'Authorization',
      'AUTHORIZATION',
      'cook',
      'Cookie',
      'x-api',
      'X-API-KEY',
      'bear',
      'Bearer',
      'basi',
      'Basic',
      'pass',
      'Password',
      'passwd',
      'pw',
      'pwd',
      'PWD',
      'secre',
      'Secret',
      'tok',
      'Token',
      'api',
      'api_key',
      'api-key',
      'apiKey',
      'APIKEY',
      'access',
      'access_key',
      'accessKey',
      'private',
      'private-key',
      'credential',
      'Credentials',
      'eyJ',
      'EYJ',
      'ey',
      'AKIA',
      'akia',
      'ASIA',
      'asi',
      '@',
      ' ',
      '-',
      '_',
      ':',
      '=',
      '.',
      '0',
      '1',
      '4111',
      '1111 ',
      '1234-',
      '5678',
      '99',
      'x',
      'k',
      'key',
      'ſ',
      'K',
      'é',
    );
    const text = fc.oneof(
      fc.array(fragment, { maxLength: 12 }).map((parts) => parts.join('')),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(text, (t) => {
        expect(mayHoldSecret(t)).toBe(reference.test(t));
      }),
      { numRuns: 3000 },
    );
  });
});
