import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without types
import { generate } from '../scripts/gen-proto.mjs';

describe('google.rpc descriptor', () => {
  it('is exactly what pbjs generates from the official google/rpc protos', () => {
    const committed = readFileSync(new URL('../src/proto/google-rpc.generated.ts', import.meta.url), 'utf8');
    expect(committed).toBe(generate());
  });
});
