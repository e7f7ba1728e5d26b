import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BOOLEAN_TEXT,
  envList,
  envText,
  integerIn,
  numberIn,
  oneOf,
  patternSources,
  readSetting,
} from '../src/internal.js';

describe('the shared settings reader', () => {
  it('reads variables trimmed, blanks as unset, lists lower-cased and deduplicated', () => {
    expect(envText({ A: '  x ' }, 'A')).toBe('x');
    expect(envText({ A: '   ' }, 'A')).toBeUndefined();
    expect(envList({ A: 'Pg, HTTP,,pg ' }, 'A')).toEqual(['pg', 'http']);
    expect(envList({}, 'A')).toBeUndefined();
  });

  it('checks say what they accept', () => {
    expect(integerIn(1, 65535).accepted).toBe('an integer from 1 to 65535');
    expect(integerIn(0).accepted).toBe('an integer >= 0');
    expect(numberIn(0, 1).accepted).toBe('a number from 0 to 1');
    expect(BOOLEAN_TEXT.accepted).toBe('true, false');
    expect(oneOf(['a', 'b']).test('b')).toBe(true);
    expect(oneOf(['a', 'b']).test('c')).toBe(false);
  });

  it('readSetting returns the value, the fallback when unset, and reports a rejected value once', () => {
    const rejected: unknown[] = [];
    const reject = (raw: unknown, accepted: string) => rejected.push([raw, accepted]);
    expect(readSetting(integerIn(1, 10), '7', 3, reject, true)).toBe(7);
    expect(readSetting(integerIn(1, 10), undefined, 3, reject, true)).toBe(3);
    expect(readSetting(integerIn(1, 10), '11', 3, reject, true)).toBe(3);
    expect(readSetting(integerIn(1, 10), '7', 3, reject)).toBe(3);
    expect(rejected).toEqual([
      ['11', 'an integer from 1 to 10'],
      ['7', 'an integer from 1 to 10'],
    ]);
  });

  it('an integer check accepts exactly the integers in its range, whatever the text', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer({ min: -5, max: 5 }),
        fc.integer({ min: 0, max: 10 }),
        (text, min, span) => {
          const max = min + span;
          const value = readSetting(integerIn(min, max), text, Number.NaN, () => {}, true);
          const n = Number(text);
          if (Number.isInteger(n) && n >= min && n <= max) expect(value).toBe(n);
          else expect(value).toBeNaN();
        },
      ),
    );
  });

  it('redaction pattern text never throws and marks each source valid or not', () => {
    expect(patternSources('secret-\\d+, (')).toEqual([
      { source: 'secret-\\d+', valid: true },
      { source: '(', valid: false },
    ]);
    expect(patternSources('["a+", "b"]')).toEqual([
      { source: 'a+', valid: true },
      { source: 'b', valid: true },
    ]);
    expect(patternSources('[1, 2]')).toBeUndefined();
    expect(patternSources('[not json')).toBeUndefined();
    fc.assert(
      fc.property(fc.string(), (text) => {
        const sources = patternSources(text);
        if (sources === undefined) return;
        for (const { source, valid } of sources) {
          expect(typeof source).toBe('string');
          let compiles = true;
          try {
            new RegExp(source);
          } catch {
            compiles = false;
          }
          expect(valid).toBe(compiles);
        }
      }),
    );
  });
});
