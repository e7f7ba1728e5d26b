// pnpm bench errors: the cost of structure, measured side by side against what users would
// otherwise do, in one process, interleaved. Runs against the built package (dist/).

import { FaultlineError, recordError, toFaultlineError } from '@faultline/errors';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
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

// recordError vs the bare API calls. Spans and errors are created before the timed loop so the
// ratio covers recording alone (the part that differs), not span creation both sides share.
const provider = new TracerProvider();
const tracer = provider.getTracer('bench');
const N = 5_000;
function fixtures(withCause: boolean) {
  const spans = Array.from({ length: N }, () =>
    tracer.startSpan('GET /orders/:id', { kind: SpanKind.SERVER }),
  );
  const errors = Array.from({ length: N }, (_, i) =>
    nested(
      12,
      () => new Error(`order ${i} failed`, withCause ? { cause: new Error('socket hang up') } : undefined),
    ),
  ) as Error[];
  return { spans, errors };
}
function timeIt(fn: (i: number) => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / N;
}
for (const withCause of [false, true]) {
  const bare: number[] = [];
  const ours: number[] = [];
  for (let round = 0; round < 15; round++) {
    const a = fixtures(withCause);
    bare.push(
      timeIt((i) => {
        const span = a.spans[i]!;
        const e = a.errors[i]!;
        span.recordException(e);
        span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
      }),
    );
    const b = fixtures(withCause);
    ours.push(timeIt((i) => void recordError(b.spans[i], b.errors[i], { httpStatusCode: 500 })));
    for (const s of [...a.spans, ...b.spans]) s.end();
  }
  reportMeasured(
    withCause
      ? 'recordError vs recordException + setStatus, error with a cause (we also format the cause stack)'
      : 'recordError vs span.recordException + setStatus (per error, fresh spans and errors)',
    'recordException+setStatus',
    median(bare),
    'recordError',
    median(ours),
    { kind: 'time-ratio-max', value: 1.2 },
    'ns/op',
  );
}
