// The handlers every framework app in this directory routes to, and the app's own error answer.
// Each app (express4.cjs, koa.cjs, ...) maps the same seven cases onto its framework's routing and
// error path, so a difference between frameworks is the framework's, never the handler's.
//
//   GET /orders/:id    200 {"id": ...}                      (control)
//   GET /faultline/:id throw new FaultlineError({ code: 'not_found' })
//   GET /plain/:id     throw new Error('db exploded')
//   GET /async/:id     an async handler rejects after an await
//   GET /next/:id      a FaultlineError 'conflict' down the framework's own error path
//   GET /nope/xyz      no such route: the framework's own 404
//   GET /db/:id        SELECT * FROM missing_table on PostgreSQL (DATABASE_URL): SQLSTATE 42P01
const { FaultlineError, httpStatusFor, isFaultlineError } = require('@faultline/errors');

/** Route templates in the ':id' form; Hapi writes them as '{id}'. */
const ROUTES = {
  ok: '/orders/:id',
  faultline: '/faultline/:id',
  plain: '/plain/:id',
  async: '/async/:id',
  next: '/next/:id',
  db: '/db/:id',
};

function order(id) {
  return { id };
}

function throwFaultline() {
  throw new FaultlineError({ code: 'not_found', message: 'no such order' });
}

function throwPlain() {
  throw new Error('db exploded');
}

async function rejectAfterAwait() {
  await new Promise((resolve) => setImmediate(resolve));
  throw new Error('async handler exploded');
}

/** The error the app sends down its framework's error path (next(err), ctx.throw, reply.send, ...). */
function conflictError() {
  return new FaultlineError({ code: 'conflict', message: 'order changed meanwhile' });
}

let pool;
function db() {
  if (!pool) {
    const { Pool } = require('pg');
    if (!process.env.DATABASE_URL)
      throw new Error('DATABASE_URL is not set: the test harness starts PostgreSQL');
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  }
  return pool;
}

/** A query that fails on the server: relation "missing_table" does not exist (42P01). */
async function queryMissingTable() {
  const result = await db().query('SELECT * FROM missing_table');
  return result.rows;
}

/** The app's own error answer (not Faultline's): a FaultlineError's HTTP status and code, else 500. */
function answerFor(err) {
  if (isFaultlineError(err)) return { status: httpStatusFor(err), body: { error: err.code } };
  return { status: 500, body: { error: 'internal' } };
}

/** Every app prints this once it listens; the test reads the port from it. */
function listening(port) {
  console.log(`READY port=${port}`);
}

module.exports = {
  ROUTES,
  order,
  throwFaultline,
  throwPlain,
  rejectAfterAwait,
  conflictError,
  queryMissingTable,
  answerFor,
  listening,
};
