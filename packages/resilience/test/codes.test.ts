import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LIBRARY_ERROR_CODES, ResilienceUsageError, retry } from '../src/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** Rows of the README's library error code table: | `FAULTLINE_ERR_X` | description | */
function readmeCodes(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const match of readme.matchAll(/^\|\s*`(FAULTLINE_ERR_[A-Z_]+)`\s*\|\s*(.+?)\s*\|\s*$/gm)) {
    rows.set(match[1] as string, match[2] as string);
  }
  return rows;
}

describe('library error codes', () => {
  it('are stable FAULTLINE_ERR_* codes, each with a description saying what to do', () => {
    for (const [code, description] of Object.entries(LIBRARY_ERROR_CODES)) {
      expect(code).toMatch(/^FAULTLINE_ERR_[A-Z_]+$/);
      expect(description.length).toBeGreaterThan(30);
    }
  });

  it('the README table lists exactly these codes with the same descriptions', () => {
    const documented = readmeCodes();
    expect([...documented.keys()].sort()).toEqual(Object.keys(LIBRARY_ERROR_CODES).sort());
    for (const [code, description] of Object.entries(LIBRARY_ERROR_CODES)) {
      expect(documented.get(code)).toBe(description.replaceAll('|', '\\|'));
    }
  });

  it('a usage error is recognisable by name and code', () => {
    try {
      retry({ name: 'x', maxAttempts: -1 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ResilienceUsageError);
      expect(err).toMatchObject({ name: 'FaultlineUsageError', code: 'FAULTLINE_ERR_INVALID_RETRY_OPTION' });
    }
  });
});
