import { FaultlineUsageError } from '@faultline/errors';
import { describe, expect, it } from 'vitest';
import { FaultlineNodeError } from '../src/index.js';

describe('FaultlineNodeError', () => {
  it('is a FaultlineUsageError that keeps its own name, code, message and cause', () => {
    const cause = new Error('exporter down');
    const err = new FaultlineNodeError('FAULTLINE_ERR_FLUSH_FAILED', 'flush failed', { cause });
    expect(err).toBeInstanceOf(FaultlineUsageError);
    expect(err).toBeInstanceOf(FaultlineNodeError);
    expect(err.name).toBe('FaultlineNodeError');
    expect(err.code).toBe('FAULTLINE_ERR_FLUSH_FAILED');
    expect(err.message).toBe('FAULTLINE_ERR_FLUSH_FAILED: flush failed');
    expect(err.cause).toBe(cause);
  });
});
