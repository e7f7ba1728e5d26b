// The framework matrix under the register (issue 10, item 4): Express 4 and 5 (and Express 5 as ESM
// under --import), Fastify 5, Koa, NestJS on Express, Hapi and plain node:http, each a real app in a
// child process (test/frameworks/apps) with the upstream instrumentations the register loads, and a
// real PostgreSQL on loopback. No span is made by the test: it reads what the apps exported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../../test/support/servers.js';
import {
  CASES,
  Checks,
  carriesError,
  dumpTrace,
  errorSeries,
  FRAMEWORKS,
  isDescendant,
  isServer,
  kindName,
  type RunningApp,
  seriesDelta,
  startApp,
  statusName,
} from './frameworks/support.js';
import { otlpEnv } from './support/child.js';
import type { ReceivedSpan } from './support/otlp-receiver.js';
import { KIND, useReceiver } from './support/suite.js';

const receiver = useReceiver();

let pg: PostgresServer | undefined;
beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);
afterAll(async () => {
  await pg?.stop();
});

let sequence = 0;

describe.each(FRAMEWORKS)('$name under the register', (fw) => {
  let app: RunningApp | undefined;
  beforeAll(async () => {
    if (!pg) throw new Error('PostgreSQL did not start');
    app = await startApp(fw, { ...otlpEnv(receiver().url), DATABASE_URL: pg.url });
  }, 30_000);
  afterAll(async () => {
    app?.child.child.kill('SIGTERM');
    await app?.child.exited;
  });

  it.each(CASES)('$name', async (c) => {
    if (!app) throw new Error('the app did not start');
    const id = String(100 + ++sequence);
    const path = c.path(id);
    const before = await errorSeries(app);
    const res = await fetch(`http://127.0.0.1:${app.port}${path}`);
    const text = await res.text();
    const service = app.service;
    const server = await receiver().waitForSpan(
      (s) => s.resource['service.name'] === service && isServer(s) && s.attributes['url.path'] === path,
      10_000,
    );
    const spans = receiver().spans.filter((s) => s.traceId === server.traceId);
    const delta = seriesDelta(before, await errorSeries(app));
    const check = new Checks();
    const template = c.route ? fw.template(c.route) : undefined;

    // The app's own answer, unchanged by Faultline.
    check.eq('response status', res.status, c.status);
    if (c.body) check.eq('response body', safeJson(text), c.body(id));
    else check.ok(`response body is the framework's 404 ${fw.missBody}`, fw.missBody.test(text), text);

    // The route template on the SERVER span.
    if (template) check.eq('SERVER span http.route', server.attributes['http.route'], template);
    else
      check.ok(
        'route miss: SERVER span http.route is not the URL',
        !String(server.attributes['http.route'] ?? '').includes('/nope/xyz'),
        String(server.attributes['http.route']),
      );

    if (!c.expected) {
      // Control: nothing recorded, nothing counted.
      for (const s of spans.filter(carriesError)) check.ok(`span "${s.name}" carries no error`, false);
      check.eq('faultline_errors_total delta', delta, []);
    } else {
      const { code, category, severity } = c.expected;
      // error.type is the thrown value's code; with nothing thrown known, the answered status.
      const errorType = c.nothingThrown || (c.errorPath && fw.returnedErrorUnseen) ? String(c.status) : code;
      const describeSpan = (s: ReceivedSpan) => (isServer(s) ? 'SERVER' : `${kindName(s)} "${s.name}"`);
      const carriers = spans.filter(carriesError);
      if (!carriers.includes(server)) carriers.unshift(server);
      for (const s of carriers) {
        const what = describeSpan(s);
        check.eq(`${what} faultline.error.code`, s.attributes['faultline.error.code'], code);
        check.eq(`${what} error.type`, s.attributes['error.type'], errorType);
        check.eq(`${what} faultline.error.category`, s.attributes['faultline.error.category'], category);
        check.eq(`${what} faultline.error.severity`, s.attributes['faultline.error.severity'], severity);
        if (isServer(s)) {
          // Semantic conventions: a SERVER span fails on a 5xx only; a 4xx still says what failed.
          check.eq(`${what} status`, statusName(s), c.status >= 500 ? 'ERROR' : 'UNSET');
        } else if (s.events.some((e) => e.name === 'exception') || s.kind === KIND.CLIENT) {
          check.eq(`${what} status`, statusName(s), 'ERROR');
        }
      }

      // Counted exactly once, under the route template.
      const total = delta.reduce((n, s) => n + s.value, 0);
      check.eq('faultline_errors_total: increase over all series', total, 1);
      const grown = delta[0]?.labels ?? {};
      check.eq('faultline_errors_total error_type', grown.error_type, code);
      if (template) check.eq('faultline_errors_total operation', grown.operation, `GET ${template}`);
      else
        check.ok(
          'route miss: operation is GET plus something bounded, never the URL',
          /^GET\b/.test(grown.operation ?? '') && !String(grown.operation).includes('/nope/xyz'),
          String(grown.operation),
        );
    }

    if (c.db) {
      const pgSpans = spans.filter(
        (s) =>
          s.kind === KIND.CLIENT &&
          (s.attributes['db.system'] === 'postgresql' || s.attributes['db.system.name'] === 'postgresql'),
      );
      const query = pgSpans.find((s) => JSON.stringify(s.attributes).includes('missing_table'));
      check.ok('a pg CLIENT span for the failing query, in the same trace', query !== undefined);
      if (query) {
        check.ok('the pg CLIENT span descends from the SERVER span', isDescendant(spans, query, server));
        check.ok('the pg CLIENT span is among the spans that carry the error', carriesError(query));
      }
      // The connection string's password reaches no span.
      for (const s of spans)
        check.ok(
          `span "${s.name}" holds no database password`,
          !JSON.stringify(s.attributes).includes(pg!.password),
        );
    }

    expect(check.failures, `${fw.name} GET ${path}\n${dumpTrace(spans, delta)}`).toEqual([]);
  });
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
