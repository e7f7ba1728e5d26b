// docs/architecture.md names files; each one it names exists, so the document follows the tree.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const text = readFileSync(`${root}docs/architecture.md`, 'utf8');
const PACKAGES = 'errors|node|http|grpc|resilience|stack|demo';

/** `errors/src/record.ts`, `packages/stack/src/explain.ts`, `collector/otelcol.yaml`, `errors/src/rules/` … as repo paths. */
function citedPaths(): string[] {
  const found = new Set<string>();
  const pattern = new RegExp(
    `(?<![\\w/<>])(?:packages/)?(?:(?:${PACKAGES})/(?:src|test)/[\\w./-]*|(?:collector|prometheus|grafana|docs|scripts|test)/[\\w./-]*)`,
    'g',
  );
  for (const m of text.matchAll(pattern)) {
    let path = m[0].replace(/[.,)]+$/, '');
    if (new RegExp(`^(?:${PACKAGES})/`).test(path)) path = `packages/${path}`;
    found.add(path);
  }
  return [...found].sort();
}

describe('docs/architecture.md', () => {
  it('names only files and folders that exist', () => {
    const cited = citedPaths();
    expect(cited.length).toBeGreaterThan(40);
    expect(cited.filter((p) => !existsSync(`${root}${p}`))).toEqual([]);
  });

  it('is linked from the root README', () => {
    expect(readFileSync(`${root}README.md`, 'utf8')).toContain('](docs/architecture.md)');
  });
});
