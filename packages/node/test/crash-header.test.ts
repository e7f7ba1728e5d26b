import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { rejectionHeader } from '../src/crash-header.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline header '));
const file = join(dir, 'app.js');
writeFileSync(file, 'first line\n\tif (x) {\n\t  return reject(new Error("no"));\n}\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function withStack(...frames: string[]): Error {
  const err = new Error('no');
  err.stack = ['Error: no', ...frames].join('\n');
  return err;
}

describe('rejectionHeader (the header Node prints for an unhandled rejection)', () => {
  it("is 'file:line', the source line and a caret under the first frame's column, tabs kept", () => {
    const err = withStack(
      '    at new Promise (<anonymous>)',
      '    at async Promise.all (index 0)',
      `    at load (${file}:3:19)`,
      `    at main (${file}:9:1)`,
    );
    expect(rejectionHeader(err)).toBe(
      `${file}:3\n\t  return reject(new Error("no"));\n\t                 ^\n\n`,
    );
  });

  it('keeps a file: URL as Node prints it (ESM), and reads frames without a function name', () => {
    const url = pathToFileURL(file).href;
    expect(rejectionHeader(withStack(`    at ${url}:2:2`))).toBe(`${url}:2\n\tif (x) {\n\t^\n\n`);
  });

  it('gives up where it could not print what Node prints', () => {
    expect(rejectionHeader(withStack('    at readFile (node:internal/fs/promises:1:1)'))).toBeUndefined();
    expect(rejectionHeader(withStack(`    at f (${join(dir, 'missing.js')}:1:1)`))).toBeUndefined();
    expect(rejectionHeader({ stack: `Error: no\n    at f (${file}:1:1)` })).toBeUndefined();
    expect(rejectionHeader('a string')).toBeUndefined();
  });
});
