// fingerprint.ts keeps what each frame line stands for: a line seen before (under another site,
// or in the same stack) gives what it gave the first time, whatever came in between (fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inAppFrames } from '../src/fingerprint.js';

const frame = fc
  .tuple(
    fc.constantFrom('', 'async ', 'new '),
    fc.constantFrom('handler', 'Router.handle', 'Foo.bar [as baz]', ''),
    fc.constantFrom(
      '/srv/app/src/orders.js',
      'file:///srv/app/dist/main-3f2a9c1d0b.js?v=1',
      '/srv/app/node_modules/express/lib/router.js',
      'node:internal/process/task_queues',
      '<anonymous>',
      'C:\\app\\x.js',
    ),
    fc.nat({ max: 300 }),
    fc.nat({ max: 80 }),
  )
  .map(([prefix, fn, file, line, col]) =>
    fn === '' ? `    at ${file}:${line}:${col}` : `    at ${prefix}${fn} (${file}:${line}:${col})`,
  );

const stack = fc
  .tuple(fc.string({ maxLength: 30 }), fc.array(frame, { minLength: 1, maxLength: 12 }))
  .map(([message, frames]) => `Error: ${message}\n${frames.join('\n')}`);

describe('the frame memo', () => {
  it('a stack gives the same in-app frames cold and warm, and after other stacks sharing its lines', () => {
    fc.assert(
      fc.property(fc.array(stack, { minLength: 1, maxLength: 6 }), (stacks) => {
        const first = stacks.map((s) => inAppFrames(s));
        // In reverse: each line is now found in the memo, put there by another stack or by itself.
        const again = [...stacks].reverse().map((s) => inAppFrames(s));
        expect(again.reverse()).toEqual(first);
      }),
      { numRuns: 300 },
    );
  });

  it('a header line that looks like a frame is read as before, every time', () => {
    const s =
      'Error: two lines\n    at fake (/srv/app/src/fake.js:1:1)\n    at real (/srv/app/src/real.js:2:2)';
    expect(inAppFrames(s)).toEqual(['fake@/srv/app/src/fake.js', 'real@/srv/app/src/real.js']);
    expect(inAppFrames(s)).toEqual(['fake@/srv/app/src/fake.js', 'real@/srv/app/src/real.js']);
  });
});
