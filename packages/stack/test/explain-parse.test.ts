// The recorder writes the cause sections of exception.stacktrace and `faultline explain` reads
// them: both sides use @faultline/errors' one format, so what one writes the other reads back.
import { defineErrorCode, FaultlineError } from '@faultline/errors';
import { causeHeader, composedStack } from '@faultline/errors/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { causesOf } from '../src/explain-parse.js';

defineErrorCode('explain_parse_inner', { category: 'dependency' });

describe('cause sections, written by the recorder and read by explain', () => {
  it('reads back every cause of a composed stacktrace, with its code', () => {
    const root = new TypeError('socket hang up');
    const inner = new FaultlineError({
      code: 'explain_parse_inner',
      message: 'inventory failed',
      cause: root,
    });
    const outer = new FaultlineError({ code: 'internal_error', message: 'order failed', cause: inner });
    const causes = causesOf(composedStack(outer, 100_000));
    expect(causes.map((c) => [c.via, c.code])).toEqual([
      ['caused by', 'explain_parse_inner'],
      ['caused by', undefined],
    ]);
    expect(causes[1]?.text).toBe('TypeError: socket hang up');
  });

  it('reads any header causeHeader writes, and never throws on other text', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('cause' as const, 'aggregate' as const),
        fc.option(fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/), { nil: undefined }),
        fc.string().filter((s) => !s.includes('\n') && !s.startsWith('[')),
        (via, code, rest) => {
          const [link] = causesOf(`Error: top\n${causeHeader(via, code)}${rest}`);
          expect(link?.via).toBe(via === 'aggregate' ? 'aggregated' : 'caused by');
          expect(link?.code).toBe(code);
        },
      ),
    );
    fc.assert(fc.property(fc.string(), (text) => Array.isArray(causesOf(text))));
  });
});
