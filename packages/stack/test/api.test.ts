import { describe, expect, it } from 'vitest';
import { publicApiDrift } from '../../../test/support/public-api.js';

describe('@faultline/stack public API', () => {
  it('exports exactly what the README lists', () => {
    expect(publicApiDrift('stack')).toEqual({ undocumented: [], unexported: [] });
  });
});
