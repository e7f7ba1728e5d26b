// Database and ORM errors built by the libraries' own classes (or thrown by a real call against a
// closed loopback port), classified. The real-server cases are in classify-servers.test.ts.
import { createServer } from 'node:net';
import {
  PrismaClientInitializationError,
  PrismaClientKnownRequestError,
  PrismaClientRustPanicError,
  PrismaClientValidationError,
} from '@prisma/client/runtime/client';
import { DrizzleQueryError } from 'drizzle-orm';
import { Redis, ReplyError } from 'ioredis';
import { MongoClient, MongoNetworkError, MongoNetworkTimeoutError, MongoServerError } from 'mongodb';
import mongoose from 'mongoose';
import pg from 'pg';
import postgres from 'postgres';
import {
  ClientClosedError,
  ConnectionTimeoutError,
  ErrorReply,
  SimpleError,
  SocketClosedUnexpectedlyError,
  WatchError,
} from 'redis';
import {
  ForeignKeyConstraintError,
  UniqueConstraintError,
  ValidationError,
  ValidationErrorItem,
} from 'sequelize';
import { EntityNotFoundError, QueryFailedError } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { type FaultlineError, toFaultlineError } from '../src/index.js';

/** A pg DatabaseError as pg-protocol builds it from an ErrorResponse: name 'error', the SQLSTATE in `code`. */
function pgError(code: string, message: string): InstanceType<typeof pg.DatabaseError> {
  const err = new pg.DatabaseError(message, message.length, 'error');
  err.code = code;
  err.severity = 'ERROR';
  return err;
}

function expectCode(err: FaultlineError, code: string, retryable: boolean): void {
  expect({ code: err.code, retryable: err.retryable }).toEqual({ code, retryable });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('PostgreSQL errors by SQLSTATE', () => {
  it.each([
    ['23505', 'already_exists', 'conflict', false],
    ['23503', 'constraint_violation', 'conflict', false],
    ['23502', 'constraint_violation', 'conflict', false],
    ['23514', 'constraint_violation', 'conflict', false],
    ['23P01', 'constraint_violation', 'conflict', false],
    ['22P02', 'invalid_data', 'validation', false],
    ['22001', 'invalid_data', 'validation', false],
    ['40001', 'transaction_conflict', 'conflict', true],
    ['40P01', 'transaction_conflict', 'conflict', true],
    ['55P03', 'transaction_conflict', 'conflict', true],
    ['53300', 'too_many_connections', 'resource', true],
    ['53100', 'resource_exhausted', 'resource', true],
    ['53200', 'resource_exhausted', 'resource', true],
    ['28P01', 'credentials_rejected', 'configuration', false],
    ['28000', 'credentials_rejected', 'configuration', false],
    ['42P01', 'invalid_query', 'execution', false],
    ['42601', 'invalid_query', 'execution', false],
    ['3F000', 'invalid_query', 'execution', false],
    ['3D000', 'configuration_error', 'configuration', false],
    ['42501', 'configuration_error', 'configuration', false],
    ['08006', 'connection_reset', 'network', true],
    ['08001', 'connection_failed', 'network', true],
    ['57P01', 'dependency_unavailable', 'dependency', true],
    ['57P02', 'dependency_unavailable', 'dependency', true],
    ['57P03', 'dependency_unavailable', 'dependency', true],
    ['25006', 'dependency_unavailable', 'dependency', true],
    ['XX000', 'dependency_failed', 'dependency', true],
  ])('pg %s -> %s', (sqlState, code, category, retryable) => {
    const err = toFaultlineError(pgError(sqlState, 'some server message'));
    expect(err.category).toBe(category);
    expectCode(err, code, retryable);
    expect(err.details).toEqual({ 'db.system.name': 'postgresql', 'db.response.status_code': sqlState });
  });

  it('57014 is a statement timeout or a cancel, by its message', () => {
    expectCode(
      toFaultlineError(pgError('57014', 'canceling statement due to statement timeout')),
      'operation_timeout',
      true,
    );
    const cancelled = toFaultlineError(pgError('57014', 'canceling statement due to user request'));
    expectCode(cancelled, 'cancelled', false);
    expect(cancelled.severity).toBe('low');
  });

  it("porsager postgres: PostgresError, and the client's own cancel (a plain Error with code 57014)", () => {
    const err = new postgres.PostgresError({
      code: '23505',
      message: 'duplicate key',
      severity: 'ERROR',
    } as never);
    expectCode(toFaultlineError(err), 'already_exists', false);
    const cancel = Object.assign(new Error('57014: canceling statement due to user request'), {
      code: '57014',
    });
    expectCode(toFaultlineError(cancel), 'cancelled', false);
  });

  it('keeps the SQLSTATE and the system, never the message, detail, constraint or values', () => {
    const err = pgError('23505', 'duplicate key value violates unique constraint "users_email_key"');
    err.detail = 'Key (email)=(alice@example.com) already exists.';
    err.constraint = 'users_email_key';
    err.table = 'users';
    const classified = toFaultlineError(err);
    expect(classified.details).toEqual({
      'db.system.name': 'postgresql',
      'db.response.status_code': '23505',
    });
    expect(JSON.stringify(classified.details)).not.toContain('alice');
  });

  it("pg's own connection errors (no SQLSTATE) by their fixed messages", () => {
    expectCode(toFaultlineError(new Error('Connection terminated unexpectedly')), 'connection_reset', true);
    expectCode(
      toFaultlineError(new Error('timeout exceeded when trying to connect')),
      'too_many_connections',
      true,
    );
    expectCode(toFaultlineError(new Error('Query read timeout')), 'operation_timeout', true);
  });

  it('a five-character code that is no SQLSTATE class is left alone', () => {
    expect(toFaultlineError(Object.assign(new Error('x'), { code: 'ABCDE' })).code).toBe('execution_failed');
    expect(toFaultlineError(Object.assign(new Error('x'), { code: '00000' })).code).toBe('execution_failed');
  });
});

describe('MySQL / MariaDB errors by errno (the shape mysql2 and mysql build: an Error with code, errno, sqlState)', () => {
  function mysqlError(code: string | undefined, errno: number, sqlState: string): Error {
    return Object.assign(new Error('server message'), {
      code,
      errno,
      sqlState,
      sqlMessage: 'server message',
    });
  }
  it.each([
    ['ER_DUP_ENTRY', 1062, '23000', 'already_exists', false, 'mysql'],
    ['ER_NO_REFERENCED_ROW_2', 1452, '23000', 'constraint_violation', false, 'mysql'],
    ['ER_DATA_TOO_LONG', 1406, '22001', 'invalid_data', false, 'mysql'],
    ['ER_LOCK_DEADLOCK', 1213, '40001', 'transaction_conflict', true, 'mysql'],
    ['ER_LOCK_WAIT_TIMEOUT', 1205, 'HY000', 'transaction_conflict', true, 'mysql'],
    ['ER_CON_COUNT_ERROR', 1040, '08004', 'too_many_connections', true, 'mysql'],
    ['ER_ACCESS_DENIED_ERROR', 1045, '28000', 'credentials_rejected', false, 'mysql'],
    ['ER_NO_SUCH_TABLE', 1146, '42S02', 'invalid_query', false, 'mysql'],
    ['ER_PARSE_ERROR', 1064, '42000', 'invalid_query', false, 'mysql'],
    ['ER_BAD_FIELD_ERROR', 1054, '42S22', 'invalid_query', false, 'mysql'],
    ['ER_QUERY_TIMEOUT', 3024, 'HY000', 'operation_timeout', true, 'mysql'],
    [undefined, 1969, '70100', 'operation_timeout', true, 'mariadb'],
    ['ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE', 4025, '23000', 'constraint_violation', false, 'mysql'],
  ])('%s (%s) -> %s', (code, errno, sqlState, expected, retryable, system) => {
    const err = toFaultlineError(mysqlError(code, errno, sqlState));
    expectCode(err, expected, retryable);
    expect(err.details).toEqual({ 'db.system.name': system, 'db.response.status_code': String(errno) });
  });

  it('client codes: PROTOCOL_CONNECTION_LOST', () => {
    const lost = Object.assign(new Error('Connection lost: The server closed the connection.'), {
      code: 'PROTOCOL_CONNECTION_LOST',
      fatal: true,
    });
    expectCode(toFaultlineError(lost), 'connection_reset', true);
  });

  it('an errno without an ER_ name or a SQLSTATE is not taken for MySQL', () => {
    expect(toFaultlineError(Object.assign(new Error('x'), { errno: 1062 })).code).toBe('execution_failed');
  });
});

describe('MongoDB and mongoose', () => {
  it('E11000 duplicate key, WriteConflict, labels, not primary', () => {
    const dup = new MongoServerError({
      message: 'E11000 duplicate key error collection: t.users',
      code: 11000,
    });
    const err = toFaultlineError(dup);
    expectCode(err, 'already_exists', false);
    expect(err.details).toEqual({ 'db.system.name': 'mongodb', 'db.response.status_code': '11000' });
    expectCode(
      toFaultlineError(new MongoServerError({ message: 'WriteConflict', code: 112 })),
      'transaction_conflict',
      true,
    );
    const transient = new MongoServerError({
      message: 'some transient failure',
      code: 999_999,
      errorLabels: ['TransientTransactionError'],
    });
    expectCode(toFaultlineError(transient), 'transaction_conflict', true);
    const retryableWrite = new MongoServerError({
      message: 'x',
      code: 999_998,
      errorLabels: ['RetryableWriteError'],
    });
    expectCode(toFaultlineError(retryableWrite), 'dependency_unavailable', true);
    expectCode(
      toFaultlineError(new MongoServerError({ message: 'not primary', code: 10107 })),
      'dependency_unavailable',
      true,
    );
  });

  it('network errors', () => {
    expectCode(toFaultlineError(new MongoNetworkError('connection reset')), 'connection_failed', true);
    expectCode(toFaultlineError(new MongoNetworkTimeoutError('timed out')), 'network_timeout', true);
  });

  it('a real MongoServerSelectionError: the driver against a closed loopback port', async () => {
    const port = await closedPort();
    const client = new MongoClient(`mongodb://127.0.0.1:${port}/test`, { serverSelectionTimeoutMS: 200 });
    try {
      const thrown = await client
        .db('test')
        .collection('c')
        .findOne({})
        .catch((e: unknown) => e);
      expect((thrown as Error).name).toBe('MongoServerSelectionError');
      const err = toFaultlineError(thrown);
      expectCode(err, 'dependency_unavailable', true);
      expect(err.category).toBe('dependency');
      expect(err.details).toEqual({ 'db.system.name': 'mongodb' });
    } finally {
      await client.close();
    }
  });

  it('mongoose ValidationError and CastError: invalid_params with the failing paths, never the values', async () => {
    const schema = new mongoose.Schema({
      email: { type: String, required: true },
      age: { type: Number, min: 0 },
      [`a${'b'.repeat(100)}`]: { type: String, required: true },
    });
    const User = mongoose.model(`User${Date.now()}`, schema);
    const invalid = await new User({ age: -5 }).validate().catch((e: unknown) => e);
    const err = toFaultlineError(invalid);
    expectCode(err, 'invalid_params', false);
    const fields = err.details.fields as string[];
    expect(fields.sort()).toEqual(['age', 'email', `a${'b'.repeat(63)}`].sort());
    const cast = (
      (await new User({ age: 'not a number' })
        .validate()
        .catch((e: unknown) => e)) as mongoose.Error.ValidationError
    ).errors.age;
    expect(cast?.name).toBe('CastError');
    const castErr = toFaultlineError(cast);
    expectCode(castErr, 'invalid_params', false);
    expect(castErr.details).toEqual({ fields: ['age'] });
    // mongoose's text quotes the rejected value: the error says what failed, the cause keeps the text.
    expect(castErr.message).toBe('mongoose: A parameter has an invalid value; fix the request.');
    expect((castErr.cause as Error).message).toContain('not a number');
    expect(JSON.stringify(castErr.details)).not.toContain('not a number');
  });

  it('at most 20 paths', async () => {
    const shape: Record<string, unknown> = {};
    for (let i = 0; i < 30; i++) shape[`f${i}`] = { type: String, required: true };
    const Many = mongoose.model(`Many${Date.now()}`, new mongoose.Schema(shape));
    const err = toFaultlineError(await new Many({}).validate().catch((e: unknown) => e));
    expect((err.details.fields as string[]).length).toBe(20);
  });
});

describe('Redis', () => {
  it.each([
    ["READONLY You can't write against a read only replica.", 'READONLY', 'dependency_unavailable', true],
    ['LOADING Redis is loading the dataset in memory', 'LOADING', 'dependency_unavailable', true],
    ['MOVED 3999 127.0.0.1:6381', 'MOVED', 'dependency_unavailable', true],
    ['TRYAGAIN Multiple keys request during rehashing of slot', 'TRYAGAIN', 'dependency_unavailable', true],
    ['BUSY Redis is busy running a script.', 'BUSY', 'dependency_unavailable', true],
    ["OOM command not allowed when used memory > 'maxmemory'.", 'OOM', 'resource_exhausted', true],
    [
      'WRONGTYPE Operation against a key holding the wrong kind of value',
      'WRONGTYPE',
      'invalid_query',
      false,
    ],
    ['NOSCRIPT No matching script. Please use EVAL.', 'NOSCRIPT', 'invalid_query', false],
    ["ERR unknown command 'FOO'", 'ERR', 'invalid_query', false],
    ['ERR max number of clients reached', 'ERR', 'too_many_connections', true],
    ['NOAUTH Authentication required.', 'NOAUTH', 'credentials_rejected', false],
    [
      'WRONGPASS invalid username-password pair or user is disabled.',
      'WRONGPASS',
      'credentials_rejected',
      false,
    ],
  ])('%s', (message, prefix, code, retryable) => {
    for (const thrown of [new ReplyError(message), new ErrorReply(message), new SimpleError(message)]) {
      const err = toFaultlineError(thrown);
      expectCode(err, code, retryable);
      expect(err.details).toEqual({ 'db.system.name': 'redis', 'db.response.status_code': prefix });
    }
  });

  it('a plain Error whose message merely starts with a reply word is not taken for Redis', () => {
    expect(toFaultlineError(new Error('BUSY doing something else')).code).toBe('execution_failed');
    expect(toFaultlineError(new Error('ERR something')).code).toBe('execution_failed');
  });

  it('node-redis client errors', () => {
    expectCode(toFaultlineError(new ConnectionTimeoutError()), 'network_timeout', true);
    expectCode(toFaultlineError(new SocketClosedUnexpectedlyError()), 'connection_reset', true);
    expectCode(toFaultlineError(new ClientClosedError()), 'connection_failed', true);
    expectCode(toFaultlineError(new WatchError()), 'transaction_conflict', true);
  });

  it('a real ioredis MaxRetriesPerRequestError: a closed loopback port', async () => {
    const port = await closedPort();
    const client = new Redis({
      host: '127.0.0.1',
      port,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 20,
      lazyConnect: false,
    });
    client.on('error', () => {});
    try {
      const thrown = await client.get('k').catch((e: unknown) => e);
      expect((thrown as Error).name).toBe('MaxRetriesPerRequestError');
      const err = toFaultlineError(thrown);
      expectCode(err, 'connection_failed', true);
      expect(err.details).toEqual({ 'db.system.name': 'redis' });
    } finally {
      client.disconnect();
    }
  });
});

describe('ORMs: the driver error inside decides', () => {
  it('Prisma', () => {
    const dup = new PrismaClientKnownRequestError('Unique constraint failed on the fields: (`email`)', {
      code: 'P2002',
      clientVersion: '7.10.0',
      meta: { target: ['email'] },
    });
    const err = toFaultlineError(dup);
    expectCode(err, 'already_exists', false);
    expect(err.details).toEqual({ 'prisma.error_code': 'P2002', fields: ['email'] });
    const known = (code: string) =>
      toFaultlineError(new PrismaClientKnownRequestError('x', { code, clientVersion: '7.10.0' }));
    expectCode(known('P2025'), 'not_found', false);
    expectCode(known('P2034'), 'transaction_conflict', true);
    expectCode(known('P2024'), 'too_many_connections', true);
    expectCode(
      toFaultlineError(new PrismaClientInitializationError("Can't reach database server", '7.10.0', 'P1001')),
      'connection_failed',
      true,
    );
    expectCode(
      toFaultlineError(
        new PrismaClientValidationError('Argument `id` is missing.', { clientVersion: '7.10.0' }),
      ),
      'invalid_query',
      false,
    );
    expectCode(
      toFaultlineError(new PrismaClientRustPanicError('panicked', '7.10.0')),
      'dependency_failed',
      false,
    );
  });

  it('Sequelize: parent/original, then the class', () => {
    const parent = pgError('23505', 'duplicate key value violates unique constraint');
    const unique = new UniqueConstraintError({
      parent: parent as never,
      fields: { email: 'alice@example.com' },
    });
    const err = toFaultlineError(unique);
    expectCode(err, 'already_exists', false);
    expect(err.details).toEqual({ 'db.system.name': 'postgresql', 'db.response.status_code': '23505' });
    const fk = new ForeignKeyConstraintError({ parent: pgError('23503', 'fk') as never });
    expectCode(toFaultlineError(fk), 'constraint_violation', false);
    const validation = new ValidationError('Validation error', [
      new ValidationErrorItem(
        'email cannot be null',
        'notnull violation',
        'email',
        null as never,
        undefined as never,
        'is_null',
        'allowNull',
        [],
      ),
    ]);
    const v = toFaultlineError(validation);
    expectCode(v, 'invalid_params', false);
    expect(v.details).toEqual({ fields: ['email'] });
  });

  it('TypeORM QueryFailedError (driverError) and EntityNotFoundError', () => {
    const failed = new QueryFailedError(
      'INSERT ...',
      ['alice@example.com'],
      pgError('40P01', 'deadlock detected'),
    );
    const err = toFaultlineError(failed);
    expectCode(err, 'transaction_conflict', true);
    expect(JSON.stringify(err.details)).not.toContain('alice');
    expectCode(toFaultlineError(new EntityNotFoundError('User', { id: 1 })), 'not_found', false);
  });

  it('Drizzle DrizzleQueryError (cause)', () => {
    const err = toFaultlineError(
      new DrizzleQueryError('select 1', [], pgError('40001', 'could not serialize')),
    );
    expectCode(err, 'transaction_conflict', true);
    expect(err.details).toEqual({ 'db.system.name': 'postgresql', 'db.response.status_code': '40001' });
  });
});
