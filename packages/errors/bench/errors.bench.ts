// pnpm bench errors: the cost of structure, measured side by side against what users would
// otherwise do, in one process, interleaved. Runs against the built package (dist/).
//
// BENCH_REF=<path of another build's ESM entry> adds rows comparing this build's classification
// with that build's, side by side in this process (e.g. the commit before the rule table, bundled:
// see the package README's "Measured figures").

import { pathToFileURL } from 'node:url';
import { runInThisContext } from 'node:vm';
import { configureFaultline, FaultlineError, recordError, toFaultlineError } from '@faultline/errors';
import { type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import pg from 'pg';
import { median, reportMeasured, sideBySide } from '../../../scripts/bench-lib.mjs';

const { DatabaseError } = pg;

function nested(depth: number, fn: () => unknown): unknown {
  return depth === 0 ? fn() : nested(depth - 1, fn);
}

// A realistic call depth: errors are created ~15 frames into a request handler.
const atDepth = (fn: () => unknown) => () => nested(12, fn);

await sideBySide('stackless operational error vs new Error()', {
  baseline: ['new Error()', atDepth(() => new Error('user 42 not found'))],
  candidate: [
    "new FaultlineError({ code: 'not_found' })",
    atDepth(() => new FaultlineError({ code: 'not_found', message: 'user 42 not found' })),
  ],
  target: { kind: 'speedup-min', value: 5 },
});

const caught = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
void caught.stack;
const structured = new FaultlineError({ code: 'connection_failed', message: 'db down' });

await sideBySide('toFaultlineError(already structured) vs new Error()', {
  baseline: ['new Error()', atDepth(() => new Error('x'))],
  candidate: ['toFaultlineError(structured)', atDepth(() => toFaultlineError(structured))],
  target: { kind: 'time-ratio-max', value: 0.05 },
});

await sideBySide('toFaultlineError(caught system error) vs new Error()', {
  baseline: ['new Error()', atDepth(() => new Error('x'))],
  candidate: ['toFaultlineError(ECONNREFUSED)', atDepth(() => toFaultlineError(caught))],
  target: { kind: 'time-ratio-max', value: 0.12 },
});

// A caught PostgreSQL unique violation, as pg throws it (pg-protocol's DatabaseError, with the
// fields of a real server's ErrorResponse to a duplicate INSERT): found by the postgres rule,
// after the node rules.
const pgUnique = Object.assign(
  new DatabaseError('duplicate key value violates unique constraint "users_email_key"', 120, 'error'),
  {
    severity: 'ERROR',
    code: '23505',
    detail: 'Key (email)=(alice@example.com) already exists.',
    schema: 'public',
    table: 'users',
    constraint: 'users_email_key',
    file: 'nbtinsert.c',
    line: '666',
    routine: '_bt_check_unique',
  },
);
void pgUnique.stack;

await sideBySide('toFaultlineError(caught pg unique violation) vs new Error()', {
  baseline: ['new Error()', atDepth(() => new Error('x'))],
  candidate: ['toFaultlineError(pg 23505)', atDepth(() => toFaultlineError(pgUnique))],
  target: { kind: 'time-ratio-max', value: 0.12 },
});

// The most common thrown value of all: a plain Error thrown by code, recognised by no rule: the
// rule table must not make it slower (BENCH_REF set to a build before the table compares the two).
const plain = nested(12, () => new Error('cannot read the order')) as Error;
void plain.stack;

await sideBySide('toFaultlineError(caught plain Error) vs new Error()', {
  baseline: ['new Error()', atDepth(() => new Error('x'))],
  candidate: ['toFaultlineError(new Error)', atDepth(() => toFaultlineError(plain))],
  target: { kind: 'time-ratio-max', value: 0.12 },
});

const refPath = process.env.BENCH_REF;
if (refPath) {
  const ref = (await import(pathToFileURL(refPath).href)) as { toFaultlineError: typeof toFaultlineError };
  for (const [what, value] of [
    ['caught plain Error', plain],
    ['caught ECONNREFUSED', caught],
    ['caught pg 23505', pgUnique],
  ] as const) {
    await sideBySide(`toFaultlineError(${what}): this build vs BENCH_REF`, {
      baseline: ['BENCH_REF', atDepth(() => ref.toFaultlineError(value))],
      candidate: ['this build', atDepth(() => toFaultlineError(value))],
      target: { kind: 'time-ratio-max', value: 1.1 },
      rounds: 5,
    });
  }
}

// recordError against the same work written by hand: recordException, setStatus and the same
// attributes (the values a hand-written version would have as literals). Spans and errors are
// created before the timed loop so the ratio covers recording alone, not span creation both
// sides share.
const provider = new TracerProvider();
const tracer = provider.getTracer('bench');
const N = 5_000;
const ROUNDS = 15;

/** N functions, each in its own file: an error thrown through one is first seen (its own fingerprint). */
const sites = Array.from(
  { length: N },
  (_, i) =>
    runInThisContext(`(function site${i}(make) { return make(); })`, {
      filename: `/srv/app/routes/site-${i}.js`,
    }) as (make: () => Error) => Error,
);

type Kind = 'same site' | 'first seen';
function fixtures(kind: Kind, withCause: boolean) {
  const spans = Array.from({ length: N }, () =>
    tracer.startSpan('GET /orders/:id', { kind: SpanKind.SERVER }),
  );
  const errors = Array.from({ length: N }, (_, i) => {
    const make = () =>
      new Error(`order ${i} failed`, withCause ? { cause: new Error('socket hang up') } : undefined);
    return nested(12, () => (kind === 'first seen' ? sites[i]!(make) : make()));
  }) as Error[];
  return { spans, errors };
}
function timeIt(fn: (i: number) => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / N;
}

/** What recordError writes, by hand: the attributes as literals (the fingerprint too), the exception, the status. */
function byHand(span: Span, e: Error, chainLength: number): void {
  span.setAttributes({
    'error.type': 'execution_failed',
    'faultline.error.code': 'execution_failed',
    'faultline.error.category': 'execution',
    'faultline.error.severity': 'high',
    'faultline.error.retryable': false,
    'faultline.error.fingerprint': '0123456789abcdef',
    'faultline.error.cause_chain_length': chainLength,
  });
  span.recordException(e);
  span.setStatus({ code: SpanStatusCode.ERROR, message: `execution_failed: ${e.message}` });
}

const RECORD_ROWS: { title: string; kind: Kind; withCause: boolean; perSecond?: number; target: number }[] = [
  {
    title: 'recordError vs the same by hand, storm: repeated from one site (default guard: 100 in full /s)',
    kind: 'same site',
    withCause: false,
    target: 1.3,
  },
  {
    title: 'recordError vs the same by hand, repeated from one site, every record in full (guard off)',
    kind: 'same site',
    withCause: false,
    perSecond: 0,
    target: 1.3,
  },
  {
    title: 'recordError vs the same by hand, first-seen error with a cause (we also format the cause stack)',
    kind: 'first seen',
    withCause: true,
    target: 2,
  },
];

for (const row of RECORD_ROWS) {
  configureFaultline({ exceptionsPerSecond: row.perSecond ?? 100 });
  const hand: number[] = [];
  const ours: number[] = [];
  const chainLength = row.withCause ? 1 : 0;
  for (let round = 0; round < ROUNDS; round++) {
    const a = fixtures(row.kind, row.withCause);
    const b = fixtures(row.kind, row.withCause);
    // Alternate which side goes first: neither always runs on a warmer or a colder heap.
    const runHand = () => hand.push(timeIt((i) => byHand(a.spans[i]!, a.errors[i]!, chainLength)));
    const runOurs = () =>
      ours.push(timeIt((i) => void recordError(b.spans[i], b.errors[i], { httpStatusCode: 500 })));
    if (round % 2 === 0) {
      runHand();
      runOurs();
    } else {
      runOurs();
      runHand();
    }
    for (const s of [...a.spans, ...b.spans]) s.end();
  }
  reportMeasured(
    row.title,
    'recordException+setStatus+attributes',
    median(hand),
    'recordError',
    median(ours),
    { kind: 'time-ratio-max', value: row.target },
    'ns/op',
  );
}
configureFaultline({ exceptionsPerSecond: 100 });
