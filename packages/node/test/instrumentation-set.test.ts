import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import {
  createInstrumentations,
  DEFAULT_INSTRUMENTATIONS,
  INSTRUMENTATION_NAMES,
} from '../src/instrumentations.js';

const PREFIX = '@opentelemetry/instrumentation-';
const created: Array<{ disable(): void }> = [];
afterAll(() => {
  for (const i of created) i.disable();
});

function upstreamDefault(): string[] {
  // The stock register's own factory with no OTEL_NODE_* lists: what it instruments by default.
  const saved = [
    process.env.OTEL_NODE_ENABLED_INSTRUMENTATIONS,
    process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS,
  ];
  delete process.env.OTEL_NODE_ENABLED_INSTRUMENTATIONS;
  delete process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS;
  try {
    const instrumentations = getNodeAutoInstrumentations();
    created.push(...instrumentations);
    return instrumentations.map((i) => i.instrumentationName.slice(PREFIX.length)).sort();
  } finally {
    if (saved[0] !== undefined) process.env.OTEL_NODE_ENABLED_INSTRUMENTATIONS = saved[0];
    if (saved[1] !== undefined) process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS = saved[1];
  }
}

describe('the register instruments what the stock register does', () => {
  it('enables by default exactly the stock default set, plus fastify (@fastify/otel)', () => {
    const stock = upstreamDefault();
    expect(stock.length).toBeGreaterThan(35);
    expect(stock).toContain('pg');
    expect([...DEFAULT_INSTRUMENTATIONS].sort()).toEqual([...stock, 'fastify'].sort());
    // fs and host-metrics are known but off by default, as upstream.
    expect(INSTRUMENTATION_NAMES).toEqual(expect.arrayContaining(['fs', 'host-metrics']));
    expect(DEFAULT_INSTRUMENTATIONS).not.toContain('fs');
  });

  it('builds the upstream instrumentations for the enabled names, plus ours', () => {
    const built = createInstrumentations(['pg', 'http', 'pino', 'fastify', 'mysql2'], {
      traceResponse: true,
    });
    created.push(...built);
    expect(built.map((i) => i.instrumentationName).sort()).toEqual(
      [
        '@fastify/otel',
        '@faultline/node/pino',
        `${PREFIX}http`,
        `${PREFIX}mysql2`,
        `${PREFIX}pg`,
        `${PREFIX}pino`,
      ].sort(),
    );
  });

  it('reads OTEL_NODE_ENABLED/DISABLED_INSTRUMENTATIONS with the stock names and rules', () => {
    const only = resolveConfig({}, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg, HTTP,redis' });
    expect(only.instrumentations).toEqual(['pg', 'http', 'redis']);
    expect(only.problems).toEqual([]);
    const minus = resolveConfig({}, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'dns,net,fastify' });
    expect(minus.instrumentations).toEqual(
      DEFAULT_INSTRUMENTATIONS.filter((n) => !['dns', 'net', 'fastify'].includes(n)),
    );
    const fsToo = resolveConfig({}, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'fs,http' });
    expect(fsToo.instrumentations).toEqual(['fs', 'http']);
  });

  it('reports unknown names once, with a suggestion, and ignores them', () => {
    const config = resolveConfig({}, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,kafka,postgres-x' });
    expect(config.instrumentations).toEqual(['http']);
    expect(config.problems).toHaveLength(1);
    const [problem] = config.problems;
    expect(problem?.code).toBe('FAULTLINE_ERR_UNKNOWN_INSTRUMENTATION');
    expect(problem?.message).toContain('"kafka" (did you mean "kafkajs"?)');
    expect(problem?.message).toContain('"postgres-x"');
    expect(problem?.message).toContain('accepted values: amqplib');
  });
});
