import { describe, expect, it } from 'vitest';
import { documentedNames, exportedNames, publicApiDrift } from '../../../test/support/public-api.js';

describe('@faultline/errors public API', () => {
  it('exports exactly what the README lists', () => {
    expect(publicApiDrift('errors')).toEqual({ undocumented: [], unexported: [] });
  });

  it('keeps the sibling-only helpers out of the public entry', () => {
    const publicNames = new Set(exportedNames('errors'));
    const internal = exportedNames('errors', 'internal');
    expect(internal).toEqual(expect.arrayContaining(['countError', 'spanFailed', 'wasRecorded', 'memoOf']));
    expect(internal.filter((n) => publicNames.has(n))).toEqual([]);
  });

  it('reads a README list (guards the parser the other packages reuse)', () => {
    const names = documentedNames('errors');
    expect(names).toContain('FaultlineError');
    expect(names).toContain('toGrpcStatus');
    expect(names).not.toContain('span');
  });
});
