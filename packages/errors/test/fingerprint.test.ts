import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FaultlineError, fingerprint, toFaultlineError } from '../src/index.js';

function failWith(message: string): FaultlineError {
  return toFaultlineError(new Error(message));
}

describe('fingerprint', () => {
  it('is the same for the same code path whatever the message, and differs by code', () => {
    const a = failWith('user 123 not allowed');
    const b = failWith('user 456 not allowed');
    expect(fingerprint(a)).toBe(fingerprint(b));
    const other = new FaultlineError({ code: 'internal_error', stack: a.stack });
    expect(fingerprint(other)).not.toBe(fingerprint(a));
  });

  it('is stable across processes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-fp-'));
    // The child runs the built package (scripts/test.sh builds before testing).
    const dist = new URL('../dist/index.js', import.meta.url).pathname;
    const script = join(dir, 'fp.mjs');
    writeFileSync(
      script,
      `const m = await import(${JSON.stringify(dist)});
       function handler(id) { return m.toFaultlineError(new Error('order ' + id + ' failed')); }
       console.log(m.fingerprint(handler(process.argv[2])));`,
    );
    const run = (id: string) =>
      execFileSync(process.execPath, [script, id], { cwd: dir, encoding: 'utf8' }).trim();
    const first = run('1');
    const second = run('2');
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    expect(second).toBe(first);
  });

  it('remembers code paths exactly: equal-length frames from other code paths are told apart', () => {
    const stackA = 'Error: x\n    at alpha (/srv/app/a.js:10:5)\n    at main (/srv/app/m.js:1:1)';
    const stackB = 'Error: x\n    at gamma (/srv/app/g.js:10:5)\n    at main (/srv/app/m.js:1:1)';
    expect(stackA.length).toBe(stackB.length);
    const a = new FaultlineError({ code: 'internal_error', stack: stackA });
    const b = new FaultlineError({ code: 'internal_error', stack: stackB });
    const a2 = new FaultlineError({
      code: 'internal_error',
      stack: `Error: a longer message\n${stackA.slice(9)}`,
    });
    const c = new FaultlineError({ code: 'not_implemented', stack: stackA });
    expect(fingerprint(a)).not.toBe(fingerprint(b));
    expect(fingerprint(a2)).toBe(fingerprint(a));
    expect(fingerprint(c)).not.toBe(fingerprint(a));
    // Line and column numbers are not part of the identity.
    const moved = new FaultlineError({ code: 'internal_error', stack: stackA.replace(':10:5', ':12:9') });
    expect(fingerprint(moved)).toBe(fingerprint(a));
    // Asking again (memoised per error) gives the same answer.
    expect(fingerprint(b)).toBe(fingerprint(b));
  });
});
