import { FaultlineUsageError } from '@faultline/errors';
import { describe, expect, it } from 'vitest';
import { StackError } from '../src/index.js';

describe('StackError', () => {
  it('is a FaultlineUsageError that keeps its own name, code and message', () => {
    const err = new StackError('FAULTLINE_ERR_TOOL_MISSING', 'otelcol-contrib not found');
    expect(err).toBeInstanceOf(FaultlineUsageError);
    expect(err.name).toBe('StackError');
    expect(err.code).toBe('FAULTLINE_ERR_TOOL_MISSING');
    expect(err.message).toBe('FAULTLINE_ERR_TOOL_MISSING: otelcol-contrib not found');
  });
});
