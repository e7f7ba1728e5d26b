import { createRequire } from 'node:module';
import {
  getNodeAutoInstrumentations,
  type InstrumentationConfigMap,
} from '@opentelemetry/auto-instrumentations-node';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { FaultlinePinoInstrumentation } from './pino.js';
import { report } from './report.js';
import { traceResponseHook } from './trace-response.js';

type UpstreamPackage = keyof InstrumentationConfigMap;
const PREFIX = '@opentelemetry/instrumentation-';

/**
 * Every instrumentation `@opentelemetry/auto-instrumentations-node` ships, by package name. The
 * `satisfies` clause checks this table against the upstream package's own type: an upgrade that
 * adds or removes one fails the type check until the table follows. The value says whether the
 * stock register enables it when OTEL_NODE_ENABLED_INSTRUMENTATIONS is unset (fs and host-metrics
 * are off by default upstream; `test/instrumentations.test.ts` checks the same defaults at run time).
 */
const UPSTREAM = {
  '@opentelemetry/instrumentation-amqplib': true,
  '@opentelemetry/instrumentation-aws-lambda': true,
  '@opentelemetry/instrumentation-aws-sdk': true,
  '@opentelemetry/instrumentation-bunyan': true,
  '@opentelemetry/instrumentation-cassandra-driver': true,
  '@opentelemetry/instrumentation-connect': true,
  '@opentelemetry/instrumentation-cucumber': true,
  '@opentelemetry/instrumentation-dataloader': true,
  '@opentelemetry/instrumentation-dns': true,
  '@opentelemetry/instrumentation-express': true,
  '@opentelemetry/instrumentation-fs': false,
  '@opentelemetry/instrumentation-generic-pool': true,
  '@opentelemetry/instrumentation-graphql': true,
  '@opentelemetry/instrumentation-grpc': true,
  '@opentelemetry/instrumentation-hapi': true,
  '@opentelemetry/instrumentation-host-metrics': false,
  '@opentelemetry/instrumentation-http': true,
  '@opentelemetry/instrumentation-ioredis': true,
  '@opentelemetry/instrumentation-kafkajs': true,
  '@opentelemetry/instrumentation-knex': true,
  '@opentelemetry/instrumentation-koa': true,
  '@opentelemetry/instrumentation-lru-memoizer': true,
  '@opentelemetry/instrumentation-memcached': true,
  '@opentelemetry/instrumentation-mongodb': true,
  '@opentelemetry/instrumentation-mongoose': true,
  '@opentelemetry/instrumentation-mysql': true,
  '@opentelemetry/instrumentation-mysql2': true,
  '@opentelemetry/instrumentation-nestjs-core': true,
  '@opentelemetry/instrumentation-net': true,
  '@opentelemetry/instrumentation-openai': true,
  '@opentelemetry/instrumentation-oracledb': true,
  '@opentelemetry/instrumentation-pg': true,
  '@opentelemetry/instrumentation-pino': true,
  '@opentelemetry/instrumentation-redis': true,
  '@opentelemetry/instrumentation-restify': true,
  '@opentelemetry/instrumentation-router': true,
  '@opentelemetry/instrumentation-runtime-node': true,
  '@opentelemetry/instrumentation-socket.io': true,
  '@opentelemetry/instrumentation-tedious': true,
  '@opentelemetry/instrumentation-undici': true,
  '@opentelemetry/instrumentation-winston': true,
} as const satisfies Record<UpstreamPackage, boolean>;

/**
 * Faultline's additions, by the same kind of short name. `fastify`: @fastify/otel, the maintained
 * Fastify instrumentation (the stock set has none since instrumentation-fastify was deprecated);
 * registerOnInitialization adds its plugin to every Fastify instance, so apps need no code.
 */
const ADDITIONS: Record<string, { byDefault: boolean; create: () => Instrumentation[] }> = {
  fastify: {
    byDefault: true,
    // Loaded only when enabled: it brings its own @opentelemetry/instrumentation and core versions
    // (hence the cast), which a service without it should not pay for at startup.
    create: () => {
      const { FastifyOtelInstrumentation } = load('@fastify/otel') as typeof import('@fastify/otel');
      return [
        new FastifyOtelInstrumentation({ registerOnInitialization: true }) as unknown as Instrumentation,
      ];
    },
  },
};

const load = createRequire(import.meta.url);

/** The short names OTEL_NODE_ENABLED_INSTRUMENTATIONS / _DISABLED_ accept (`http`, `pg`, `fastify`…). */
export const INSTRUMENTATION_NAMES: readonly string[] = [
  ...Object.keys(UPSTREAM).map((pkg) => pkg.slice(PREFIX.length)),
  ...Object.keys(ADDITIONS),
].sort();

/** What the register enables when OTEL_NODE_ENABLED_INSTRUMENTATIONS is unset. */
export const DEFAULT_INSTRUMENTATIONS: readonly string[] = INSTRUMENTATION_NAMES.filter((name) => {
  const addition = ADDITIONS[name];
  if (addition) return addition.byDefault;
  return UPSTREAM[`${PREFIX}${name}` as UpstreamPackage];
});

export function isInstrumentationName(name: string): boolean {
  return INSTRUMENTATION_NAMES.includes(name);
}

/**
 * The instrumentations for the enabled short names: the upstream ones built by
 * auto-instrumentations-node's own factory (with its per-package defaults), then ours. Pino gets
 * our structured `err` serializer next to instrumentation-pino's trace fields. One that fails to
 * build is reported and skipped.
 */
export function createInstrumentations(
  names: readonly string[],
  options: { traceResponse: boolean } = { traceResponse: true },
): Instrumentation[] {
  const enabled = new Set(names);
  const configs: InstrumentationConfigMap = {};
  for (const pkg of Object.keys(UPSTREAM) as UpstreamPackage[]) {
    configs[pkg] = { enabled: enabled.has(pkg.slice(PREFIX.length)) };
  }
  if (options.traceResponse) {
    configs['@opentelemetry/instrumentation-http'] = {
      ...configs['@opentelemetry/instrumentation-http'],
      responseHook: traceResponseHook,
    };
  }
  const out: Instrumentation[] = [];
  try {
    out.push(...withoutEnvLists(() => getNodeAutoInstrumentations(configs)));
  } catch (error) {
    failed('the upstream', error);
  }
  if (enabled.has('pino')) add(out, 'pino', () => [new FaultlinePinoInstrumentation()]);
  for (const [name, addition] of Object.entries(ADDITIONS)) {
    if (enabled.has(name)) add(out, name, addition.create);
  }
  return out;
}

function add(out: Instrumentation[], name: string, create: () => Instrumentation[]): void {
  try {
    out.push(...create());
  } catch (error) {
    failed(`the ${name}`, error);
  }
}

function failed(which: string, error: unknown): void {
  report({
    code: 'FAULTLINE_ERR_INSTRUMENTATION_FAILED',
    message: `${which} instrumentation could not be created (${String(error)}); the app runs without it.`,
  });
}

/**
 * The upstream factory re-reads OTEL_NODE_ENABLED/DISABLED_INSTRUMENTATIONS and logs its own
 * error for a name it does not know (ours included); every name already has an explicit
 * `enabled` here, and the config resolver has reported unknown names once, so the factory runs
 * with those two variables hidden (synchronously, restored right after).
 */
function withoutEnvLists<T>(run: () => T): T {
  const keys = ['OTEL_NODE_ENABLED_INSTRUMENTATIONS', 'OTEL_NODE_DISABLED_INSTRUMENTATIONS'] as const;
  const saved = keys.map((key) => process.env[key]);
  for (const key of keys) delete process.env[key];
  try {
    return run();
  } finally {
    keys.forEach((key, i) => {
      const value = saved[i];
      if (value !== undefined) process.env[key] = value;
    });
  }
}
