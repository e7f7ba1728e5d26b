import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LIBRARY_ERROR_CODES } from '../src/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const src = (f: string) => readFileSync(new URL(`../src/${f}`, import.meta.url), 'utf8');

describe('README', () => {
  it('lists exactly the library error codes the package exports', () => {
    const documented = new Set(readme.match(/FAULTLINE_ERR_[A-Z_]+/g));
    expect([...documented].sort()).toEqual(Object.keys(LIBRARY_ERROR_CODES).sort());
  });

  it('documents every environment variable the code reads', () => {
    const code = ['config.ts', 'process-handlers.ts', 'sdk.ts'].map(src).join('\n');
    const read = new Set(
      [...code.matchAll(/'((?:OTEL|FAULTLINE)_[A-Z_]+)'/g)]
        .map((m) => m[1]!)
        .filter((v) => !v.startsWith('FAULTLINE_ERR_')),
    );
    expect(read.size).toBeGreaterThan(15);
    for (const name of read) expect(readme, name).toContain(name);
  });

  it('documents every start() option in the options table', () => {
    const config = src('config.ts');
    const body = /export interface StartOptions \{([\s\S]*?)\n\}/.exec(config)?.[1] ?? '';
    const options = [...body.matchAll(/^\s+([a-zA-Z]+)\??:/gm)].map((m) => m[1]!);
    expect(options.length).toBeGreaterThan(15);
    const table = readme.slice(
      readme.indexOf('## `start()` options'),
      readme.indexOf('## Environment variables'),
    );
    const rows = table.split('\n').filter((l) => l.startsWith('| `'));
    for (const option of options)
      expect(
        rows.some((r) => r.split('|')[1]?.includes(`\`${option}\``)),
        `${option} has a row in the start() options table`,
      ).toBe(true);
  });
});
