import { ERROR_CATEGORIES, lookupErrorCode } from '@faultline/errors';
import { describe, expect, it } from 'vitest';
import { DEMO_CODES, registerDemoCodes } from '../src/codes.js';
import { intFrom, rateFrom } from '../src/env.js';
import { injectedFailure } from '../src/failures.js';
import {
  DEFAULT_FAULT_LATENCY_MS,
  environmentFault,
  FAULT_NAMES,
  faultList,
  isInventoryFault,
  isWorkerFault,
  MAX_LATENCY_MS,
  parseFaultRequest,
} from '../src/faults.js';
import { DEFAULT_MIX, draw, parseMix } from '../src/mix.js';

registerDemoCodes();

describe('the demo error codes', () => {
  it('register one code per category, with that category', () => {
    expect(Object.keys(DEMO_CODES).sort()).toEqual([...ERROR_CATEGORIES].sort());
    for (const category of ERROR_CATEGORIES) {
      expect(lookupErrorCode(DEMO_CODES[category])?.category).toBe(category);
    }
    expect(new Set(Object.values(DEMO_CODES)).size).toBe(ERROR_CATEGORIES.length);
  });

  it('registering twice is harmless', () => {
    expect(() => registerDemoCodes()).not.toThrow();
  });

  it('injected failures carry the code, the order and a cause where a service would have one', () => {
    for (const category of ERROR_CATEGORIES) {
      const err = injectedFailure(category, 'ord-1');
      expect(err.code).toBe(DEMO_CODES[category]);
      expect(err.category).toBe(category);
      expect(err.details).toMatchObject({ orderId: 'ord-1', injected: true });
    }
    expect((injectedFailure('execution', 'x').cause as Error).name).toBe('TypeError');
    expect((injectedFailure('network', 'x').cause as { code?: string }).code).toBe('ECONNREFUSED');
    expect(injectedFailure('rate_limit', 'x').retryAfterMs).toBe(50);
    expect(injectedFailure('system', 'x').severity).toBe('critical');
  });
});

describe('per-request fault injection', () => {
  const parse = (query: string, headers: Record<string, string> = {}) =>
    parseFaultRequest(new URLSearchParams(query), headers);

  it('reads the fault from the query string, else the x-fault header', () => {
    expect(parse('fault=conflict')).toEqual({ ok: true, value: { fault: 'conflict', latencyMs: 0 } });
    expect(parse('', { 'x-fault': 'crash' })).toEqual({ ok: true, value: { fault: 'crash', latencyMs: 0 } });
    expect(parse('fault=timeout', { 'x-fault': 'crash' })).toMatchObject({ value: { fault: 'timeout' } });
    expect(parse('')).toEqual({ ok: true, value: { fault: undefined, latencyMs: 0 } });
    expect(parse('fault=none')).toEqual({ ok: true, value: { fault: undefined, latencyMs: 0 } });
  });

  it('takes latency from latency_ms or x-fault-latency-ms, bounded', () => {
    expect(parse('fault=latency')).toMatchObject({ value: { latencyMs: DEFAULT_FAULT_LATENCY_MS } });
    expect(parse('latency_ms=120')).toMatchObject({ value: { fault: undefined, latencyMs: 120 } });
    expect(parse('', { 'x-fault-latency-ms': '40' })).toMatchObject({ value: { latencyMs: 40 } });
    expect(parse(`latency_ms=${MAX_LATENCY_MS + 1}`)).toMatchObject({ ok: false });
    expect(parse('latency_ms=-1')).toMatchObject({ ok: false });
    expect(parse('latency_ms=soon')).toMatchObject({ ok: false });
  });

  it('rejects unknown faults, naming the accepted ones', () => {
    const r = parse('fault=meteor');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain('unknown fault "meteor"');
    expect(!r.ok && r.message).toContain(FAULT_NAMES.join(', '));
  });

  it('splits faults between the worker and the inventory', () => {
    for (const name of FAULT_NAMES) expect(isWorkerFault(name) !== isInventoryFault(name)).toBe(true);
    expect(isInventoryFault('inventory_503')).toBe(true);
    expect(isWorkerFault('deadline')).toBe(true);
  });
});

describe('fault injection from the environment', () => {
  it('applies the listed faults to the given share of requests', () => {
    const seq = (values: number[]) => () => values.shift() ?? 0;
    expect(environmentFault(['timeout', 'network'], 0.5, seq([0.4, 0.9]))).toBe('network');
    expect(environmentFault(['timeout', 'network'], 0.5, seq([0.6]))).toBeUndefined();
    expect(environmentFault(['timeout'], 0, seq([0]))).toBeUndefined();
    expect(environmentFault([], 1, seq([0]))).toBeUndefined();
  });

  it('parses comma lists, dropping unknown names', () => {
    expect(faultList('timeout, crash,,nope', isWorkerFault, 'WORKER_FAULT')).toEqual(['timeout', 'crash']);
    expect(faultList(undefined, isWorkerFault, 'WORKER_FAULT')).toEqual([]);
  });

  it('bounds numeric knobs and falls back on bad values', () => {
    expect(intFrom({ X: '12' }, 'X', 5, 0, 100)).toBe(12);
    expect(intFrom({ X: '1000' }, 'X', 5, 0, 100)).toBe(5);
    expect(intFrom({ X: '1.5' }, 'X', 5, 0, 100)).toBe(5);
    expect(intFrom({}, 'X', 5, 0, 100)).toBe(5);
    expect(rateFrom({ R: '0.25' }, 'R', 0)).toBe(0.25);
    expect(rateFrom({ R: '2' }, 'R', 0.1)).toBe(0.1);
  });
});

describe('the load mix', () => {
  it('parses the default mix', () => {
    const r = parseMix(DEFAULT_MIX);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.mix.entries[0]).toBe('healthy');
    expect(r.mix.entries).toContain('execution');
    expect(r.mix.cumulative.at(-1)).toBe(100);
  });

  it('draws entries by weight', () => {
    const r = parseMix('healthy:3,not_found:1');
    if (!r.ok) throw new Error(r.message);
    expect(draw(r.mix, () => 0)).toBe('healthy');
    expect(draw(r.mix, () => 0.74)).toBe('healthy');
    expect(draw(r.mix, () => 0.75)).toBe('not_found');
    expect(draw(r.mix, () => 0.999)).toBe('not_found');
  });

  it('rejects unknown names, bad weights and empty mixes', () => {
    expect(parseMix('healthy:1,nope:2')).toMatchObject({ ok: false });
    expect(parseMix('healthy:-1')).toMatchObject({ ok: false });
    expect(parseMix('healthy:0')).toMatchObject({
      ok: false,
      message: 'the mix has no entry with a positive weight',
    });
    expect(parseMix('validation')).toMatchObject({
      ok: true,
      mix: { entries: ['validation'], cumulative: [1] },
    });
  });
});
