import { describe, expect, it } from 'vitest';
import { publicApiDrift } from '../../../test/support/public-api.js';

describe('@faultline/node public API', () => {
  it('exports exactly what the README lists', () => {
    expect(publicApiDrift('node')).toEqual({ undocumented: [], unexported: [] });
  });
});
