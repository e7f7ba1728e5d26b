// A built-in rule's fixed message (a database error's '<system> <code>: <meaning>') is redacted
// once per text and reused: the reuse follows the redaction rules and the message bound in force,
// and a user rule's message is still redacted on every error.
import { afterEach, describe, expect, it } from 'vitest';
import { resetFaultlineConfig } from '../src/config.js';
import {
  addClassifierRule,
  configureFaultline,
  defineErrorCode,
  FaultlineError,
  REDACTED,
  toFaultlineError,
} from '../src/index.js';

const pgUnique = () =>
  Object.assign(new Error('duplicate key value violates unique constraint "users_email_key"'), {
    name: 'error',
    code: '23505',
  });

afterEach(() => resetFaultlineConfig());

describe("a built-in rule's fixed message", () => {
  it('is the same text as before, error after error', () => {
    const first = toFaultlineError(pgUnique());
    const second = toFaultlineError(pgUnique());
    expect(first.code).toBe('already_exists');
    expect(first.message).toMatch(/^postgresql 23505: /);
    expect(second.message).toBe(first.message);
    expect(first.message).toBe(new FaultlineError({ code: 'x_y', message: first.message }).message);
  });

  it('follows redaction patterns configured after it was first redacted, and their removal', () => {
    const plain = toFaultlineError(pgUnique()).message;
    configureFaultline({ redactPatterns: ['23505'] });
    const redacted = toFaultlineError(pgUnique()).message;
    expect(redacted).toBe(plain.replace('23505', REDACTED));
    configureFaultline({ redactPatterns: [] });
    expect(toFaultlineError(pgUnique()).message).toBe(plain);
  });

  it('follows maxMessageLength', () => {
    const deadlock = () => Object.assign(new Error('deadlock detected'), { name: 'error', code: '40P01' });
    const plain = toFaultlineError(deadlock()).message;
    expect(plain.length).toBeGreaterThan(64);
    configureFaultline({ maxMessageLength: 64 });
    expect(toFaultlineError(deadlock()).message).toBe(
      `${plain.slice(0, 64)}…[truncated ${plain.length - 64} chars]`,
    );
    resetFaultlineConfig();
    expect(toFaultlineError(deadlock()).message).toBe(plain);
  });

  it("a user rule's message is redacted on every error", () => {
    defineErrorCode('fixed_message_probe', { category: 'dependency', description: 'probe' });
    const remove = addClassifierRule({
      id: 'test.fixed-message',
      libraries: [],
      cases: [{ matches: 'name Probe', code: 'fixed_message_probe' }],
      match: (view) =>
        view.name === 'Probe'
          ? { code: 'fixed_message_probe', message: 'login failed password=hunter2' }
          : undefined,
    });
    try {
      for (let i = 0; i < 3; i++) {
        const err = toFaultlineError(Object.assign(new Error('x'), { name: 'Probe' }));
        expect(err.code).toBe('fixed_message_probe');
        expect(err.message).toBe(`login failed password=${REDACTED}`);
      }
    } finally {
      remove();
    }
  });
});
