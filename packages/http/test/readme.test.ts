import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LIBRARY_ERROR_CODES } from '../src/index.js';
import { main } from './readme-example.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('shows the example file verbatim, and the example works', async () => {
    expect(readme).toContain(readFileSync(new URL('./readme-example.ts', import.meta.url), 'utf8'));
    const { status, headers, failure, fine } = await main();
    expect(status).toBe(429);
    expect(headers.retryAfter).toBe('2');
    expect(headers.correlation).toMatch(/^[0-9a-f]{32}$/);
    expect(failure).toMatchObject({
      code: 'rate_limited',
      category: 'rate_limit',
      retryable: true,
      retryAfterMs: 1_500,
      remote: true,
      correlationId: headers.correlation,
      message: 'try again shortly',
    });
    expect(fine).toBeUndefined();
  });

  it('lists exactly the library error codes, with their text', () => {
    const rows = [...readme.matchAll(/^\| `(FAULTLINE_ERR_\w+)`\s*\| (.*?)\s*\|$/gm)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(Object.fromEntries(rows)).toEqual(LIBRARY_ERROR_CODES);
  });
});
