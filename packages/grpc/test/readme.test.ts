import { readFileSync } from 'node:fs';
import { isFaultlineError } from '@faultline/errors';
import { describe, expect, it } from 'vitest';
import { LIBRARY_ERROR_CODES } from '../src/index.js';
import { main } from './readme-example.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('shows the example file verbatim, and the example works', async () => {
    expect(readme).toContain(readFileSync(new URL('./readme-example.ts', import.meta.url), 'utf8'));
    const { reply, failure } = await main();
    expect(reply).toEqual({ text: 'hello Ada' });
    expect(isFaultlineError(failure)).toBe(true);
    expect(failure).toMatchObject({
      code: 'invalid_params',
      category: 'validation',
      retryable: false,
      remote: true,
      service: 'greeter',
      message: 'name must not be empty',
    });
  });

  it('lists exactly the library error codes, with their text', () => {
    const rows = [...readme.matchAll(/^\| `(FAULTLINE_ERR_\w+)`\s*\| (.*?)\s*\|$/gm)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(Object.fromEntries(rows)).toEqual(LIBRARY_ERROR_CODES);
  });
});
