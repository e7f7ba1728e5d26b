/**
 * The framework matrix (issue 10, item 4): each framework is a real app (apps/*.cjs) in a child
 * process under the register, with the upstream instrumentations the register loads; the test
 * sends the seven cases of apps/cases.cjs and checks the response, every span of the request's
 * trace (from the OTLP receiver) and the app's own faultline_errors_total on its Prometheus port.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort, PKG_DIR, REGISTER_CJS, type RunningChild, spawnNode } from '../support/child.js';
import type { ReceivedSpan } from '../support/otlp-receiver.js';
import { KIND, STATUS } from '../support/suite.js';

export const APPS = fileURLToPath(new URL('./apps/', import.meta.url));

export interface Framework {
  /** The test's name, also the service name suffix. */
  name: string;
  /** node arguments: the register flag and the app. */
  args: string[];
  /** The framework's form of a ':id' template (Hapi: '{id}'). */
  template(route: string): string;
  /** The framework's own route-miss answer. */
  missBody: RegExp;
  /**
   * The framework's instrumentation records no exception for an error a handler *returns* (Hapi):
   * nothing thrown is known, so the spans' error.type is the answered status (semantic
   * conventions) while faultline.error.code is the status's code.
   */
  returnedErrorUnseen?: boolean;
}

const colon = (route: string) => route;
const braces = (route: string) => route.replace(/:(\w+)/g, '{$1}');
const cjs = (app: string, ...rest: string[]) => ['--require', REGISTER_CJS, `${APPS}${app}`, ...rest];

const EXPRESS_MISS = /<pre>Cannot GET \/nope\/xyz<\/pre>/;

export const FRAMEWORKS: Framework[] = [
  { name: 'express4', args: cjs('express.cjs', 'express4'), template: colon, missBody: EXPRESS_MISS },
  { name: 'express5', args: cjs('express.cjs', 'express'), template: colon, missBody: EXPRESS_MISS },
  {
    name: 'express5-esm',
    args: ['--import', '@faultline/node/register', `${APPS}express5.mjs`],
    template: colon,
    missBody: EXPRESS_MISS,
  },
  {
    name: 'fastify5',
    args: cjs('fastify.cjs'),
    template: colon,
    missBody: /^\{"message":"Route GET:\/nope\/xyz not found","error":"Not Found","statusCode":404\}$/,
  },
  { name: 'koa', args: cjs('koa.cjs'), template: colon, missBody: /^Not Found$/ },
  {
    name: 'nestjs',
    args: cjs('nest.cjs'),
    template: colon,
    missBody: /^\{"message":"Cannot GET \/nope\/xyz","error":"Not Found","statusCode":404\}$/,
  },
  {
    name: 'hapi',
    args: cjs('hapi.cjs'),
    template: braces,
    missBody: /^\{"statusCode":404,"error":"Not Found","message":"Not Found"\}$/,
    returnedErrorUnseen: true,
  },
  { name: 'node-http', args: cjs('node-http.cjs'), template: colon, missBody: /^Not Found$/ },
];

export interface Expected {
  code: string;
  category: string;
  severity: string;
}

const NOT_FOUND: Expected = { code: 'not_found', category: 'not_found', severity: 'low' };
const EXECUTION_FAILED: Expected = { code: 'execution_failed', category: 'execution', severity: 'high' };
const CONFLICT: Expected = { code: 'conflict', category: 'conflict', severity: 'low' };
const INVALID_QUERY: Expected = { code: 'invalid_query', category: 'execution', severity: 'high' };

export interface Case {
  name: string;
  /** The template in ':id' form (apps/cases.cjs ROUTES); undefined for the route miss. */
  route?: string;
  /** The request path for a fresh id. */
  path(id: string): string;
  status: number;
  /** The app's JSON body for the request's id; undefined: the framework's own miss answer. */
  body?: (id: string) => unknown;
  /** What failed; undefined for the control. */
  expected?: Expected;
  /** Nothing is thrown (a route miss): error.type is the answered status, as a string. */
  nothingThrown?: boolean;
  /** The error goes down the framework's own error path (see Framework.returnedErrorUnseen). */
  errorPath?: boolean;
  db?: boolean;
}

const routed = (route: string) => (id: string) => route.replace(':id', id);

export const CASES: Case[] = [
  {
    name: 'ok (control)',
    route: '/orders/:id',
    path: routed('/orders/:id'),
    status: 200,
    body: (id) => ({ id }),
  },
  {
    name: 'thrown FaultlineError not_found',
    route: '/faultline/:id',
    path: routed('/faultline/:id'),
    status: 404,
    body: () => ({ error: 'not_found' }),
    expected: NOT_FOUND,
  },
  {
    name: 'thrown plain Error',
    route: '/plain/:id',
    path: routed('/plain/:id'),
    status: 500,
    body: () => ({ error: 'internal' }),
    expected: EXECUTION_FAILED,
  },
  {
    name: 'async rejection',
    route: '/async/:id',
    path: routed('/async/:id'),
    status: 500,
    body: () => ({ error: 'internal' }),
    expected: EXECUTION_FAILED,
  },
  {
    name: "FaultlineError conflict down the framework's error path",
    route: '/next/:id',
    path: routed('/next/:id'),
    status: 409,
    body: () => ({ error: 'conflict' }),
    errorPath: true,
    expected: CONFLICT,
  },
  { name: 'route miss', path: () => '/nope/xyz', status: 404, expected: NOT_FOUND, nothingThrown: true },
  {
    name: 'pg query on a missing table (42P01)',
    route: '/db/:id',
    path: routed('/db/:id'),
    status: 500,
    body: () => ({ error: 'internal' }),
    expected: INVALID_QUERY,
    db: true,
  },
];

export interface RunningApp {
  child: RunningChild;
  port: number;
  promPort: number;
  service: string;
}

/**
 * The package's build script empties dist before tsup writes it again: when someone rebuilds while
 * this suite runs, wait (bounded) for the register to be back rather than start an app without it.
 */
async function registerBuilt(): Promise<void> {
  const files = [REGISTER_CJS, `${PKG_DIR}dist/register-esm.js`];
  for (let i = 0; i < 300 && !files.every((f) => existsSync(f)); i++) await sleep(100);
}

/** Starts a framework's app with the OTEL_* env pointing at the receiver and Prometheus on a free port. */
export async function startApp(
  fw: Framework,
  env: Record<string, string>,
  service = `fw-${fw.name}`,
): Promise<RunningApp> {
  await registerBuilt();
  const promPort = await freePort();
  const child = spawnNode(fw.args, {
    ...env,
    OTEL_SERVICE_NAME: service,
    OTEL_METRICS_EXPORTER: 'prometheus',
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: String(promPort),
  });
  const [, port] = await child.waitForLine(/READY port=(\d+)/, 20_000);
  return { child, port: Number(port), promPort, service };
}

export interface Series {
  labels: Record<string, string>;
  value: number;
}

/** faultline_errors_total as the app's Prometheus endpoint serves it. */
export async function errorSeries(app: RunningApp): Promise<Series[]> {
  const text = await (await fetch(`http://127.0.0.1:${app.promPort}/metrics`)).text();
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^faultline_errors_total\{(.*)\} (\S+)/);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of m[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ labels, value: Number(m[2]) });
  }
  return out;
}

const key = (s: Series) => JSON.stringify(Object.entries(s.labels).sort());

/** What a request added to the counter: the series that grew, with how much. */
export function seriesDelta(before: Series[], after: Series[]): Series[] {
  const old = new Map(before.map((s) => [key(s), s.value]));
  return after
    .map((s) => ({ labels: s.labels, value: s.value - (old.get(key(s)) ?? 0) }))
    .filter((s) => s.value !== 0);
}

/** True when `span`'s parent chain (within `spans`) reaches `ancestor`. */
export function isDescendant(spans: ReceivedSpan[], span: ReceivedSpan, ancestor: ReceivedSpan): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  let at: ReceivedSpan | undefined = span;
  for (let hops = 0; at && hops < 64; hops++) {
    if (at.parentSpanId === ancestor.spanId) return true;
    at = byId.get(at.parentSpanId);
  }
  return false;
}

const KIND_NAME: Record<number, string> = { 1: 'INTERNAL', 2: 'SERVER', 3: 'CLIENT' };
const STATUS_NAME: Record<number, string> = { 0: 'UNSET', 1: 'OK', 2: 'ERROR' };
export const kindName = (s: ReceivedSpan): string => KIND_NAME[s.kind] ?? `kind ${s.kind}`;
export const statusName = (s: ReceivedSpan): string =>
  STATUS_NAME[s.status.code] ?? `status ${s.status.code}`;

/** A span is about the failure when it recorded an exception, failed, or carries a failure attribute. */
export function carriesError(s: ReceivedSpan): boolean {
  return (
    s.status.code === STATUS.ERROR ||
    s.events.some((e) => e.name === 'exception') ||
    s.attributes['faultline.error.code'] !== undefined ||
    s.attributes['error.type'] !== undefined
  );
}

export const isServer = (s: ReceivedSpan) => s.kind === KIND.SERVER;

/** One line per span, with what the lead needs to see: kind, status, failure attributes, exceptions. */
export function dumpTrace(spans: ReceivedSpan[], delta: Series[]): string {
  const pick = (s: ReceivedSpan) =>
    Object.fromEntries(
      Object.entries(s.attributes).filter(
        ([k]) =>
          k.startsWith('faultline.') ||
          k.startsWith('db.') ||
          ['error.type', 'http.route', 'http.response.status_code', 'url.path'].includes(k),
      ),
    );
  const lines = spans.map((s) => {
    const ex = s.events
      .filter((e) => e.name === 'exception')
      .map((e) => `${e.attributes['exception.type']}: ${e.attributes['exception.message']}`);
    return `  ${kindName(s)} "${s.name}" [${s.scope}] ${statusName(s)} ${JSON.stringify(pick(s))}${ex.length ? ` exceptions=${JSON.stringify(ex)}` : ''}`;
  });
  return `spans:\n${lines.join('\n')}\nfaultline_errors_total delta: ${JSON.stringify(delta)}`;
}

/** Collects every failed check of one request, so that one run shows all of them. */
export class Checks {
  readonly failures: string[] = [];
  eq(what: string, actual: unknown, expected: unknown): void {
    if (JSON.stringify(actual) !== JSON.stringify(expected))
      this.failures.push(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
  ok(what: string, condition: boolean, detail = ''): void {
    if (!condition) this.failures.push(`${what}${detail ? ` (${detail})` : ''}`);
  }
}
