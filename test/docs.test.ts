import { existsSync, readFileSync } from 'node:fs';
import { classifierRules, GRPC_CODE_NAMES, listErrorCodes } from '@faultline/errors';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(new URL('../docs/error-codes.md', import.meta.url), 'utf8');

function rows(heading: string): string[][] {
  const section = doc.split(/^## /m).find((s) => s.startsWith(heading));
  if (!section) throw new Error(`docs/error-codes.md has no section "## ${heading}"`);
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) =>
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
}

const unquote = (cell: string | undefined) => cell?.replace(/^`|`$/g, '');

function table(heading: string): string[][] {
  return rows(heading).map((cells) => cells.map((cell) => unquote(cell) ?? ''));
}

// Every package that raises library errors exports LIBRARY_ERROR_CODES from its public API.
const PACKAGES = ['errors', 'node', 'grpc', 'http', 'resilience', 'stack'];

async function libraryCodes(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of PACKAGES) {
    const entry = new URL(`../packages/${name}/src/index.ts`, import.meta.url);
    if (!existsSync(entry)) continue;
    const mod = (await import(`@faultline/${name}`)) as { LIBRARY_ERROR_CODES?: Record<string, string> };
    for (const code of Object.keys(mod.LIBRARY_ERROR_CODES ?? {})) out.set(code, `@faultline/${name}`);
  }
  return out;
}

describe('docs/error-codes.md', () => {
  it('lists every built-in taxonomy code with its registration, and nothing else', () => {
    const documented = table('Taxonomy codes').map(
      ([code, category, severity, retryable, http, grpc, stack]) => ({
        code,
        category,
        severity,
        retryable: retryable === 'yes',
        httpStatus: Number(http),
        grpc,
        captureStack: stack === 'yes',
      }),
    );
    const actual = listErrorCodes()
      .filter((c) => c.builtIn)
      .map((c) => ({
        code: c.code,
        category: c.category,
        severity: c.severity,
        retryable: c.retryable,
        httpStatus: c.httpStatus,
        grpc: GRPC_CODE_NAMES[c.grpcCode],
        captureStack: c.captureStack,
      }));
    const byCode = (a: { code?: string }, b: { code?: string }) => (a.code ?? '').localeCompare(b.code ?? '');
    expect(documented.sort(byCode)).toEqual(actual.sort(byCode));
  });

  it('lists every library code of every package, and nothing else', async () => {
    const documented = new Map(table('Library codes').map(([code, pkg]) => [code!, pkg!]));
    expect(documented).toEqual(await libraryCodes());
  });

  it('lists every built-in classifier rule, case by case, in the order they are tried, and nothing else', () => {
    // Only the id and code cells are quoted: a `matches` text may start or end with a quoted name.
    const documented = rows('Recognised library errors').map(([id, libraries, matches, code]) => ({
      id: unquote(id),
      libraries,
      matches: matches?.replace(/\\\|/g, '|'),
      code: unquote(code),
    }));
    const actual = classifierRules().flatMap((rule) =>
      (rule.cases ?? [{ matches: '—', code: '—' }]).map((c) => ({
        id: rule.id,
        libraries: rule.libraries.join(', '),
        matches: c.matches,
        code: c.code,
      })),
    );
    expect(documented).toEqual(actual);
  });
});
